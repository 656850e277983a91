import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/progress/progress-tracker.js';
import { openTestQueue, waitFor } from '../helpers/queue.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads arbitrary JSON
function read(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('ProgressTracker', () => {
  it("mirrors jobs, progress, results and batch counts from the store, keeping other tools' keys", async () => {
    const { queue, dir } = await openTestQueue();
    const path = join(dir, 'data', 'work_items.json');
    await queue.enqueue('images', { address: '1 A St' }, { key: '1 A St', batch: 'homes' });
    await queue.enqueue('images', { address: '2 B St' }, { key: '2 B St', batch: 'homes' });
    await queue.enqueue('other', {}, { key: 'not mirrored' });
    const tracker = new ProgressTracker(queue, {
      path,
      queues: ['images'],
      refreshMs: 0,
      describeResult: (job) => ({ images: (job.result as { n: number }).n }),
    });
    await tracker.flush();
    expect(Object.keys(read(path).items)).toEqual(['1 A St', '2 B St']);
    // Another tool adds its keys between writes.
    const file = read(path);
    file.reviewer = { name: 'kim' };
    file.items['1 A St'].notes = 'needs photos of the pool';
    writeFileSync(path, JSON.stringify(file));

    tracker.start();
    const worker = queue.work(
      'images',
      async (job, ctx) => {
        ctx.progress(1, 1, 'done');
        if ((job.payload as { address: string }).address === '2 B St') throw new Error('boom');
        return { n: 3 };
      },
      { maxAttempts: 1 } as never,
    );
    await waitFor(async () => {
      const stats = await queue.batches('homes');
      return stats[0]!.counts.completed + stats[0]!.counts.failed + stats[0]!.counts.retrying === 2;
    }, 'both jobs attempted');
    await worker.stop();
    await tracker.stop();

    const after = read(path);
    expect(after.reviewer).toEqual({ name: 'kim' });
    expect(after.items['1 A St']).toMatchObject({
      notes: 'needs photos of the pool',
      holdfast: {
        status: 'completed',
        attempts: 1,
        progress: { current: 1, total: 1, message: 'done' },
        result: { images: 3 },
      },
    });
    expect(after.items['2 B St'].holdfast.lastError).toMatch(/boom/);
    expect(after.items['2 B St'].holdfast.status).toMatch(/failed|retrying/);
    expect(after.holdfast.batches).toEqual([expect.objectContaining({ name: 'homes', total: 2 })]);
    expect(Object.keys(after.holdfast.queues)).toEqual(['images']);
  });

  it('throttles a burst of events into few writes, and the last state always lands', async () => {
    const { queue, dir } = await openTestQueue();
    const path = join(dir, 'work_items.json');
    const tracker = new ProgressTracker(queue, { path, throttleMs: 300, refreshMs: 0 }).start();
    await waitFor(() => tracker.writes === 1, 'first write');
    const started = Date.now();
    for (let i = 0; i < 50; i++) await queue.enqueue('q', { i }, { key: `k${i}` });
    // The trailing write lands without any further event.
    await waitFor(() => read(path).items?.k49, 'the last job in the file', 5_000);
    await waitFor(() => tracker.writes >= 2, 'the write to finish');
    const elapsed = Date.now() - started;
    // 50 enqueue events; at most one write per 300 ms window.
    expect(tracker.writes - 1).toBeLessThanOrEqual(Math.ceil(elapsed / 300) + 1);
    expect(tracker.writes - 1).toBeLessThan(50);
    await tracker.stop();
    expect(Object.keys(read(path).items)).toHaveLength(50);
  });

  it('with `batch`, writes only that batch and leaves other entries as they were', async () => {
    const { queue, dir } = await openTestQueue();
    const path = join(dir, 'work_items.json');
    writeFileSync(
      path,
      JSON.stringify({ items: { 'old run': { holdfast: { status: 'completed' }, notes: 'x' } } }),
    );
    await queue.enqueue('images', {}, { key: 'mine', batch: 'march' });
    await queue.enqueue('images', {}, { key: 'theirs', batch: 'april' });
    const tracker = new ProgressTracker(queue, { path, batch: 'march', refreshMs: 0 });
    await tracker.flush();
    expect(Object.keys(read(path).items).sort()).toEqual(['mine', 'old run']);
    expect(read(path).items['old run']).toEqual({ holdfast: { status: 'completed' }, notes: 'x' });
  });
});
