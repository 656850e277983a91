/**
 * `holdfast demo` (what `npm start` runs until the image pipeline lands): a short, real run on
 * the default SQLite file. It enqueues a few jobs under a batch, works them with progress lines
 * (one job fails once, to show a retry), and prints the status table.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { JobHandler } from '../../types.js';
import { withQueue } from '../context.js';
import { print } from '../output.js';
import { reportJobs } from './work.js';
import { statusText } from './status.js';

const QUEUE = 'demo';
const PHOTOS = ['front.jpg', 'kitchen.jpg', 'garden.jpg', 'bedroom.jpg', 'street.jpg'];
const STEPS = ['download', 'check type', 'resize', 'write'];
/** Per step; 5 photos x 4 steps at concurrency 3 keep the demo around 2 s. */
const STEP_MS = 120;

interface DemoPayload {
  photo: string;
}

/** Pretends to process a photo in four steps; `garden.jpg` fails on its first attempt. */
const handler: JobHandler<DemoPayload> = async (job, ctx) => {
  for (const [index, step] of STEPS.entries()) {
    await sleep(STEP_MS, undefined, { signal: ctx.signal });
    if (job.payload.photo === 'garden.jpg' && job.attempt === 1 && index === 2) {
      throw new Error('source answered 503 (the demo fails this one once)');
    }
    ctx.progress(index + 1, STEPS.length, step);
  }
  return { photo: job.payload.photo, bytes: 1000 + job.payload.photo.length * 37 };
};

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a short real run: enqueue a few jobs, work them with progress, print the status')
    .action(async (_flags: unknown, command: Command) => {
      await withQueue(command, async (queue) => {
        const batch = `demo ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
        const results = await queue.enqueueMany(
          PHOTOS.map((photo) => ({
            queue: QUEUE,
            payload: { photo },
            options: { key: photo, batch },
          })),
        );
        // Keyed by photo: a demo interrupted with Ctrl-C leaves its jobs active, and the next run resumes them.
        const fresh = results.filter((result) => !result.existing).length;
        print(
          `enqueued ${fresh} jobs (${results.length - fresh} already there) in batch "${batch}" on ${queue.store.description}`,
        );
        reportJobs(queue);
        queue.on('progress', (job, progress) => {
          const bar = '#'.repeat(progress.current).padEnd(progress.total, '.');
          print(
            `  #${job.id} ${(job.payload as DemoPayload).photo.padEnd(12)} [${bar}] ${progress.message ?? ''}`,
          );
        });
        const executor = queue.work<DemoPayload>(QUEUE, handler, {
          concurrency: 3,
          backoff: { min: 200, max: 200, jitter: 0 },
          exitWhenEmpty: true,
          handleSignals: true,
        });
        await executor.done;
        print();
        print(statusText(await queue.stats()));
      });
    });
}
