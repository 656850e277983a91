import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockTimeoutError } from '../../src/progress/file-lock.js';
import { WorkItemsFile } from '../../src/progress/work-items-file.js';
import { spawnTracked, waitForOutput } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const CHILD = fileURLToPath(new URL('./writer-child.ts', import.meta.url));

const OTHER_TOOLS = {
  generatedBy: 'phx-analysis',
  session: { started: '2026-11-01', operator: 'dana' },
  items: {
    '12 Main St': { notes: 'corner lot', score: 7 },
    'not holdfast': { phase: 'kill-switch' },
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads arbitrary JSON
function read(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter(
    (name) => name.includes('.tmp-') || name.endsWith('.lock') || name.includes('.stale-'),
  );
}

function writer(path: string, name: string, count: number, size: number) {
  return spawnTracked(
    process.execPath,
    ['--import', 'tsx', CHILD, path, name, String(count), String(size)],
    {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    },
  );
}

function exited(child: ReturnType<typeof spawnTracked>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('WorkItemsFile', () => {
  it('keeps every key other tools wrote, top-level and per item', async () => {
    const path = join(tempDir(), 'work_items.json');
    writeFileSync(path, JSON.stringify(OTHER_TOOLS));
    await new WorkItemsFile(path).update(async () => ({
      summary: { version: 1 },
      items: new Map([
        ['12 Main St', { status: 'completed' }],
        ['34 Oak Ave', { status: 'pending' }],
      ]),
    }));
    expect(read(path)).toEqual({
      ...OTHER_TOOLS,
      holdfast: { version: 1 },
      items: {
        '12 Main St': { notes: 'corner lot', score: 7, holdfast: { status: 'completed' } },
        'not holdfast': { phase: 'kill-switch' },
        '34 Oak Ave': { holdfast: { status: 'pending' } },
      },
    });
  });

  it("leaves another tool's non-object `items` alone and writes holdfastItems instead", async () => {
    const path = join(tempDir(), 'work_items.json');
    writeFileSync(path, JSON.stringify({ items: ['a', 'b'] }));
    await new WorkItemsFile(path).update(async () => ({ summary: 1, items: new Map([['k', 2]]) }));
    expect(read(path)).toEqual({
      items: ['a', 'b'],
      holdfast: 1,
      holdfastItems: { k: { holdfast: 2 } },
    });
  });

  it('moves a corrupt file aside with a warning instead of overwriting it', async () => {
    const dir = tempDir();
    const path = join(dir, 'work_items.json');
    writeFileSync(path, '{"items": {"12 Main St": {"notes": "half a wri');
    const warnings: string[] = [];
    await new WorkItemsFile(path, { warn: (message) => warnings.push(message) }).update(
      async () => ({
        summary: { version: 1 },
        items: new Map(),
      }),
    );
    const aside = readdirSync(dir).filter((name) => name.startsWith('work_items.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(
      '{"items": {"12 Main St": {"notes": "half a wri',
    );
    expect(warnings).toEqual([expect.stringContaining(`kept it as ${join(dir, aside[0]!)}`)]);
    expect(read(path)).toEqual({ holdfast: { version: 1 }, items: {} });
  });

  it('takes over the lock of a dead writer, and times out on a live one', async () => {
    const dir = tempDir();
    const path = join(dir, 'work_items.json');
    writeFileSync(`${path}.lock`, `999999@${hostname()}#deadbeef`);
    await new WorkItemsFile(path).update(async () => ({ summary: 'ok', items: new Map() }));
    expect(read(path).holdfast).toBe('ok');
    expect(existsSync(`${path}.lock`)).toBe(false);

    writeFileSync(`${path}.lock`, `${process.pid}@${hostname()}#0000live`);
    const started = Date.now();
    const error = await new WorkItemsFile(path, { timeoutMs: 300 })
      .update(async () => ({ summary: 'late', items: new Map() }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(read(path).holdfast).toBe('ok');
  });

  it("several processes writing at once lose none of each other's items", async () => {
    const path = join(tempDir(), 'work_items.json');
    writeFileSync(path, JSON.stringify(OTHER_TOOLS));
    const children = ['a', 'b', 'c'].map((name) => writer(path, name, 15, 50));
    const codes = await Promise.all(children.map(exited));
    expect(codes).toEqual([0, 0, 0]);
    const file = read(path);
    for (const name of ['a', 'b', 'c']) {
      expect(file.items[`${name}-last`]).toEqual({ holdfast: { n: 15 } });
      expect(Object.keys(file.items).filter((key) => key.startsWith(`${name}-`))).toHaveLength(51);
    }
    expect(file.generatedBy).toBe('phx-analysis');
    expect(file.items['12 Main St'].notes).toBe('corner lot');
    expect(leftovers(join(path, '..'))).toEqual([]);
  });

  it('is never corrupt, and never piles up temp files, when its writer is killed mid-write again and again', async () => {
    const dir = tempDir();
    const path = join(dir, 'work_items.json');
    writeFileSync(path, JSON.stringify(OTHER_TOOLS));
    let writes = 0;
    for (let round = 0; round < 6; round++) {
      const child = writer(path, `w${round}`, 1_000_000, 3000);
      await waitForOutput(child, (text) => text.includes('wrote 1'));
      // Kill at a different point of the write cycle each round.
      await new Promise((resolve) => setTimeout(resolve, (round * 7) % 40));
      child.kill('SIGKILL');
      await exited(child);
      const file = read(path); // throws if the file were ever partial
      expect(file.generatedBy).toBe('phx-analysis');
      expect(file.items['12 Main St']).toMatchObject({ notes: 'corner lot', score: 7 });
      writes += file.holdfast.writer === `w${round}` ? 1 : 0;
      // At most the dead writer's one temp file and its lock, until the next writer clears them.
      expect(readdirSync(dir).filter((name) => name.includes('.tmp-')).length).toBeLessThanOrEqual(
        1,
      );
    }
    expect(writes).toBeGreaterThan(0);
    const last = writer(path, 'final', 1, 10);
    expect(await exited(last)).toBe(0);
    expect(read(path).holdfast).toEqual({ writer: 'final', n: 1 });
    expect(leftovers(dir)).toEqual([]);
  });
});
