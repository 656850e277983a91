/**
 * A worker process for the flow-control tests (run with `node --import tsx`).
 *   flow-child.ts <db> <queue> <concurrency> <events-file> <handler-ms> [barrier-dir]
 * Appends one JSON line per handler start and end (key, pid, time) to <events-file>; with a
 * barrier dir, each handler waits there until two handlers (in any processes) have started, so
 * the last two jobs of a batch end at the same moment. Stops on SIGTERM, or when the queue is empty
 * if EXIT_WHEN_EMPTY=1.
 */
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobQueue } from '../../src/client.js';

const [db, queueName, concurrency, eventsFile, handlerMs, barrier] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const queue = await JobQueue.open({ db: db! });
const executor = queue.work(
  queueName!,
  async (job) => {
    // The handler sees the payload, not the concurrency key: the tests put the key in both.
    const key = (job.payload as { key?: string } | null)?.key ?? null;
    appendFileSync(
      eventsFile!,
      `${JSON.stringify({ e: 'start', key, id: job.id, pid: process.pid, t: now() })}\n`,
    );
    if (barrier) {
      writeFileSync(join(barrier, `${job.id}`), '');
      while (readdirSync(barrier).length < 2) await sleep(2);
    } else {
      await sleep(Number(handlerMs));
    }
    appendFileSync(
      eventsFile!,
      `${JSON.stringify({ e: 'end', key, id: job.id, pid: process.pid, t: now() })}\n`,
    );
  },
  {
    concurrency: Number(concurrency),
    pollInterval: 50,
    exitWhenEmpty: process.env.EXIT_WHEN_EMPTY === '1',
    handleSignals: true,
  },
);
process.stdout.write('ready\n');
await executor.done;
await queue.close();
