/** A dashboard on a real SQLite queue and a real loopback port, with a few jobs in known states. */
import { onTestFinished } from 'vitest';
import type { JobQueue } from '../../src/index.js';
import { startDashboard, type DashboardServerOptions } from '../../src/dashboard/server.js';
import { openTestQueue } from '../helpers/queue.js';
import { Browser } from './http-client.js';

export async function openDashboard(options: DashboardServerOptions = {}) {
  const { queue, db } = await openTestQueue();
  const dashboard = await startDashboard(queue, { port: 0, ...options });
  onTestFinished(() => dashboard.close());
  const origin = `http://127.0.0.1:${dashboard.port}`;
  return { queue, db, dashboard, origin, browser: new Browser(origin) };
}

export interface Seeded {
  batchId: string;
  completedId: string;
  failedId: string;
  pendingId: string;
}

/**
 * Batch `import-1` on queue `images`: two jobs complete, one (key `bad`) fails on its only
 * attempt; and one job waits in queue `email`, due in an hour so no worker takes it.
 */
export async function seed(queue: JobQueue): Promise<Seeded> {
  const [a, , c] = await queue.enqueueMany(
    ['good-1', 'good-2', 'bad'].map((key) => ({
      queue: 'images',
      payload: { address: key },
      options: { key, batch: 'import-1', maxAttempts: 1 },
    })),
  );
  const pending = await queue.enqueue('email', { to: 'ops@example.com' }, { delay: '1h' });
  const worker = queue.work(
    'images',
    async (job) => {
      if (job.key === 'bad') throw new Error('listing page returned 500');
      return { images: 3 };
    },
    { exitWhenEmpty: true, pollInterval: 20 },
  );
  await worker.done;
  return {
    batchId: a!.job.batchId!,
    completedId: a!.job.id,
    failedId: c!.job.id,
    pendingId: pending.job.id,
  };
}
