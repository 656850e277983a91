/**
 * Durations past Node's timer limit (2^31 - 1 ms, 24.8 days): found by the duration property
 * test. A job timeout of 30 days used to fire after 1 ms and fail the job at once.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { openTestQueue } from '../helpers/queue.js';

describe('durations longer than a Node timer can hold', () => {
  it('a job with a 30-day timeout runs to completion (the timeout does not fire after 1 ms)', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('t', {}, { timeout: '30d', maxAttempts: 1 });
    const worker = queue.work(
      't',
      async (_job, ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return ctx.signal.aborted ? 'aborted' : 'ran';
      },
      { pollInterval: 20, exitWhenEmpty: true },
    );
    await worker.done;
    expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', result: 'ran' });
  });

  it('pollInterval and shutdownGrace over 24 days are refused with a clear message; numbers become whole ms', async () => {
    const { queue } = await openTestQueue();
    expect(() => queue.work('t', async () => null, { pollInterval: '30d' })).toThrow(
      ValidationError,
    );
    expect(() => queue.work('t', async () => null, { shutdownGrace: '25d' })).toThrow(
      /`shutdownGrace` to be at most 24 days/,
    );
    expect(() => queue.work('t', async () => null, { pollInterval: 1e300 })).toThrow(
      /shorter duration/,
    );
  });
});
