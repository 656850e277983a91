import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { runCli } from '../helpers/processes.js';
import { openTestQueue, waitFor } from '../helpers/queue.js';

/** A handler that holds every job until `release()`; `running` counts handlers inside it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const state = { running: 0, maxRunning: 0, started: [] as string[] };
  return {
    state,
    release: () => open(),
    handler: async (job: { id: string }) => {
      state.running += 1;
      state.maxRunning = Math.max(state.maxRunning, state.running);
      state.started.push(job.id);
      await opened;
      state.running -= 1;
    },
  };
}

describe('worker prefetch', () => {
  it('holds up to `prefetch` claimed jobs while slots are busy, and never runs more than `concurrency` handlers', async () => {
    const { queue } = await openTestQueue();
    await queue.enqueueMany(Array.from({ length: 10 }, (_, n) => ({ queue: 'q', payload: n })));
    const { state, release, handler } = gate();
    const worker = queue.work('q', handler, { concurrency: 2, prefetch: 3, pollInterval: 20 });
    // 2 running and 3 waiting here: 5 jobs are claimed (running in the store), 5 still pending.
    await waitFor(async () => (await queue.stats()).queues.q?.counts.running === 5, '5 claimed');
    expect((await queue.stats()).queues.q?.counts.pending).toBe(5);
    expect(state.running).toBe(2);
    release();
    await waitFor(async () => (await queue.stats()).queues.q?.counts.completed === 10, 'all done');
    await worker.stop();
    expect(state.maxRunning).toBe(2);
    // Claim order is kept through the wait: FIFO here.
    const ids = (await queue.list({ queue: 'q', limit: 20 })).items.map((job) => job.id);
    expect(state.started).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
  });

  it('hands waiting jobs back on shutdown with no attempt recorded and nothing counted', async () => {
    const { queue } = await openTestQueue();
    const jobs = await queue.enqueueMany(
      Array.from({ length: 6 }, (_, n) => ({ queue: 'q', payload: n })),
    );
    const { state, release, handler } = gate();
    const worker = queue.work('q', handler, { concurrency: 1, prefetch: 2, pollInterval: 20 });
    await waitFor(async () => (await queue.stats()).queues.q?.counts.running === 3, '3 claimed');
    const stopping = worker.stop({ graceMs: 5_000 });
    release();
    await stopping;
    const first = await queue.getOrThrow(jobs[0]!.job.id);
    expect(first.status).toBe('completed');
    for (const { job } of jobs.slice(1)) {
      const stored = await queue.getOrThrow(job.id);
      expect(stored).toMatchObject({ status: 'pending', attempts: 0, startedAt: null });
      expect(await queue.attempts(job.id)).toEqual([]);
    }
    expect(state.started).toEqual([jobs[0]!.job.id]);
  });

  it('renews the leases of waiting jobs, so a job waiting longer than the lease is not rescued', async () => {
    const { queue } = await openTestQueue();
    await queue.enqueueMany(Array.from({ length: 3 }, (_, n) => ({ queue: 'q', payload: n })));
    const rescued: string[] = [];
    queue.on('rescued', (id) => rescued.push(id));
    let calls = 0;
    const worker = queue.work(
      'q',
      async () => {
        calls += 1;
        // Each job takes 3 leases' time: the last one waits 6 leases for its slot.
        await new Promise((resolve) => setTimeout(resolve, 900));
      },
      { concurrency: 1, prefetch: 2, lease: 300, pollInterval: 20 },
    );
    await waitFor(async () => (await queue.stats()).queues.q?.counts.completed === 3, 'all done');
    await worker.stop();
    expect(rescued).toEqual([]);
    expect(calls).toBe(3);
  });

  it('cancels a waiting job without running its handler', async () => {
    const { queue } = await openTestQueue();
    const jobs = await queue.enqueueMany(
      Array.from({ length: 3 }, (_, n) => ({ queue: 'q', payload: n })),
    );
    const { state, release, handler } = gate();
    const worker = queue.work('q', handler, {
      concurrency: 1,
      prefetch: 2,
      lease: 300,
      pollInterval: 20,
    });
    await waitFor(async () => (await queue.stats()).queues.q?.counts.running === 3, '3 claimed');
    const waiting = jobs[2]!.job.id;
    await queue.cancel(waiting);
    await waitFor(async () => (await queue.get(waiting))?.status === 'cancelled', 'cancelled');
    release();
    await waitFor(async () => (await queue.stats()).queues.q?.counts.completed === 2, '2 done');
    await worker.stop();
    expect(state.started).not.toContain(waiting);
    expect(await queue.attempts(waiting)).toMatchObject([{ outcome: 'cancelled' }]);
  });

  it('a worker that was full still notices jobs another process enqueues, without waiting for its poll', async () => {
    const { queue, db } = await openTestQueue();
    const seen: unknown[] = [];
    const worker = queue.work(
      'q',
      async (job) => {
        // Still running when the claim loop goes to sleep, so it sleeps full.
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen.push(job.payload);
      },
      { concurrency: 1, prefetch: 1, pollInterval: '1h' },
    );
    // `holdfast enqueue` in a child process: no in-process wake-up, only the store's change token.
    const enqueueElsewhere = async (n: number) =>
      expect((await runCli(['--db', db, 'enqueue', 'q', '--payload', String(n)])).code).toBe(0);
    await enqueueElsewhere(1);
    await waitFor(() => seen.length === 1, 'the first job');
    // The first claim filled the only slot; with a 1 h poll only a wake-up can find this one.
    await enqueueElsewhere(2);
    await waitFor(() => seen.length === 2, 'the second job');
    await worker.stop();
    expect(seen).toEqual([1, 2]);
  });

  it('refuses a prefetch that is not a whole number of 0 or more', async () => {
    const { queue } = await openTestQueue();
    expect(() => queue.work('q', async () => undefined, { prefetch: -1 })).toThrow(ValidationError);
    expect(() => queue.work('q', async () => undefined, { prefetch: 1.5 })).toThrow(/prefetch/);
  });
});
