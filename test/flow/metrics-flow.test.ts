/** The throttled-claims counter: a claim that leaves a ready job waiting because of a limit counts once. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { tempDir } from '../helpers/tmp.js';

describe('flow-control metrics', () => {
  it('counts claims held back by a per-key limit, per queue', async () => {
    const queue = await JobQueue.open({ db: join(tempDir(), 'q.db') });
    const metrics = createMetrics(queue, { defaultMetrics: false });
    try {
      const before = /holdfast_throttled_claims_total\{queue="throttle-test"\} (\d+)/.exec(
        await metrics.text(),
      );
      expect(before).toBeNull();
      await queue.configureQueue('throttle-test', { perKeyConcurrency: 1 });
      await queue.enqueueMany(
        [1, 2].map((n) => ({
          queue: 'throttle-test',
          payload: { n },
          options: { concurrencyKey: 'h' },
        })),
      );
      const claimed = await queue.store.claim({
        queues: ['throttle-test'],
        limit: 2,
        workerId: 'w',
        leaseMs: 30_000,
      });
      expect(claimed).toHaveLength(1);
      expect(await metrics.text()).toContain(
        'holdfast_throttled_claims_total{queue="throttle-test"} 1',
      );
    } finally {
      metrics.close();
      await queue.close();
    }
  });
});
