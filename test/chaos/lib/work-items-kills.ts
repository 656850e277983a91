/**
 * work_items.json under fire: a writer (ProgressTracker over a SQLite queue) is SIGKILLed at a
 * random moment of its write loop, `kills` times. After every kill the file must parse, keep
 * the other tool's keys, mirror a state the store committed (never more items than jobs, never
 * fewer than the last time), and at most the dead writer's one temp file may lie next to it
 * (the next writer removes it: none pile up).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobQueue } from '../../../src/index.js';
import { spawnTracked } from '../../helpers/processes.js';
import { indexPath, sleep } from './workers.js';

const WRITER = fileURLToPath(new URL('../fixtures/work-items-writer.mjs', import.meta.url));

export interface WorkItemsReport {
  kills: number;
  parsed: number;
  problems: string[];
  items: number;
  maxTempFiles: number;
  tempFilesAtEnd: number;
  lockWaits: number;
}

export async function runWorkItemsKills(dir: string, kills: number): Promise<WorkItemsReport> {
  const db = join(dir, 'queue.db');
  const path = join(dir, 'work_items.json');
  writeFileSync(
    path,
    JSON.stringify({ otherTool: { keep: true }, items: { foreign: { note: 'not holdfast' } } }),
  );
  const report: WorkItemsReport = {
    kills: 0,
    parsed: 0,
    problems: [],
    items: 0,
    maxTempFiles: 0,
    tempFilesAtEnd: 0,
    lockWaits: 0,
  };
  const problem = (text: string) => report.problems.length < 20 && report.problems.push(text);
  const queue = await JobQueue.open({ db });
  let lastItems = 0;
  try {
    for (let round = 0; round < kills; round++) {
      const writer = spawnTracked(process.execPath, [WRITER, db, path, indexPath()]);
      let stderr = '';
      writer.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise((resolve) => writer.once('exit', resolve));
      const ready = await new Promise<boolean>((resolve) => {
        writer
          .stdout!.setEncoding('utf8')
          .on('data', (chunk: string) => chunk.includes('ready') && resolve(true));
        writer.once('exit', () => resolve(false));
      });
      if (!ready) {
        problem(`writer ${round} died before its first write: ${stderr.slice(-300)}`);
        continue;
      }
      await sleep(Math.random() * 60);
      writer.kill('SIGKILL');
      await exited;
      report.kills++;
      if (/lock/i.test(stderr)) report.lockWaits++;
      let parsed: { otherTool?: unknown; items?: Record<string, unknown>; holdfast?: unknown };
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
        report.parsed++;
      } catch (error) {
        problem(
          `after kill ${round}: work_items.json does not parse (${(error as Error).message})`,
        );
        continue;
      }
      if (JSON.stringify(parsed.otherTool) !== '{"keep":true}')
        problem(`after kill ${round}: the other tool's key was lost`);
      if (!parsed.items?.foreign) problem(`after kill ${round}: the foreign item was lost`);
      const items = Object.values(parsed.items ?? {}).filter(
        (item) => (item as { holdfast?: unknown }).holdfast !== undefined,
      ).length;
      const jobs = (await queue.stats()).queues.w?.counts.pending ?? 0;
      if (items > jobs)
        problem(`after kill ${round}: ${items} items but only ${jobs} jobs committed`);
      if (items < lastItems)
        problem(`after kill ${round}: ${items} items, fewer than the ${lastItems} already written`);
      lastItems = items;
      const temps = readdirSync(dir).filter((name) => name.includes('.tmp-')).length;
      report.maxTempFiles = Math.max(report.maxTempFiles, temps);
      if (temps > 1) problem(`after kill ${round}: ${temps} temp files next to work_items.json`);
    }
    // One clean write removes the last dead writer's leftovers.
    const { ProgressTracker } = await import('../../../src/index.js');
    await new ProgressTracker(queue, { path, refreshMs: 0 }).flush();
    report.tempFilesAtEnd = readdirSync(dir).filter((name) => name.includes('.tmp-')).length;
    report.items = lastItems;
    if (report.tempFilesAtEnd !== 0)
      problem(`${report.tempFilesAtEnd} temp files left after a clean write`);
  } finally {
    await queue.close();
  }
  return report;
}
