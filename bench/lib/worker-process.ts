/**
 * A worker in a process of its own (pickup-xproc, scale, procs4), forked with IPC. It opens the
 * store the parent made, reports `ready`, and on `go` starts working:
 *   mode pickup: reports the absolute time each handler starts;
 *   mode count:  no-op jobs; reports its completions (count, first start, last completion) every
 *                50 ms, and once `stopAfter` jobs are done, its rate and RSS.
 */
import { systemInfo } from '../systems/index.js';
import { absoluteNow } from './stats.js';
import type { QueueSystem, Running } from './types.js';

export interface WorkerStart {
  system: string;
  handle: unknown;
  concurrency: number;
  mode: 'pickup' | 'count';
  stopAfter?: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'started'; at: number }
  | { type: 'count'; count: number; firstAt: number; lastAt: number }
  | {
      type: 'report';
      count: number;
      firstAt: number;
      lastAt: number;
      rssMb: number;
      peakRssMb: number;
    }
  | { type: 'error'; message: string };

/** Sends to the parent while it listens; after it disconnected there is nobody to tell. */
const send = (message: WorkerMessage) => {
  if (process.connected) process.send!(message, undefined, undefined, () => undefined);
};

async function main(start: WorkerStart): Promise<void> {
  const system = (await systemInfo(start.system).make()) as QueueSystem;
  await system.attach(start.handle);
  send({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  let peakRss = process.memoryUsage().rss;
  let running: Running | null = null;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (start.mode === 'count') send({ type: 'count', count, firstAt, lastAt });
  }, 50);

  running = await system.work({
    concurrency: start.concurrency,
    handler: () => {
      const now = absoluteNow();
      if (firstAt === 0) firstAt = now;
      if (start.mode === 'pickup') send({ type: 'started', at: now });
    },
    onCompleted: () => {
      count++;
      lastAt = absoluteNow();
      if (start.stopAfter !== undefined && count === start.stopAfter) finished();
    },
  });
  // The parent ends the process (disconnect) when it has what it needs.
  process.once('disconnect', () => finished());
  await allDone;
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  clearInterval(rssTimer);
  if (process.connected) {
    send({ type: 'count', count, firstAt, lastAt });
    send({
      type: 'report',
      count,
      firstAt,
      lastAt,
      rssMb: rss / 2 ** 20,
      peakRssMb: peakRss / 2 ** 20,
    });
  }
  await running.stop();
  await system.close(false);
  process.exit(0);
}

process.once('message', (start: WorkerStart) => {
  main(start).catch((error: Error) => {
    if (process.connected) send({ type: 'error', message: error.stack ?? error.message });
    process.exit(1);
  });
});
