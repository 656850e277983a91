/**
 * What a person watching `extract-images` sees: on a terminal, one progress line redrawn in
 * place (done, failed, rate, ETA) with failures printed above it; otherwise (a pipe, a log file,
 * CI) one plain line per finished or retrying job, which greps and diffs well.
 */
import type { JobQueue } from '../client.js';
import type { BatchStats, Job } from '../types.js';
import { formatDuration } from '../util/duration.js';

export interface TerminalProgressOptions {
  batch: string;
  /** Redraw a bar (true) or print plain lines (false). */
  tty: boolean;
  /** How a job is named in lines. Default its key, else `#id`. */
  label?: (job: Job) => string;
  /** Short text for a completed job's result, e.g. `4 images`. */
  describe?: (result: unknown) => string;
  write?: (text: string) => void;
  /** Redraws per second are capped by this interval. Default 200 ms. */
  intervalMs?: number;
}

const BAR_WIDTH = 24;

export class TerminalProgress {
  readonly #queue: JobQueue;
  readonly #options: TerminalProgressOptions;
  readonly #write: (text: string) => void;
  #timer: NodeJS.Timeout | null = null;
  #drawn = false;
  #stats: BatchStats | null = null;
  readonly #listeners: Array<() => void> = [];

  constructor(queue: JobQueue, options: TerminalProgressOptions) {
    this.#queue = queue;
    this.#options = options;
    this.#write = options.write ?? ((text) => process.stdout.write(text));
  }

  start(): this {
    const label = this.#options.label ?? ((job: Job) => job.key ?? `#${job.id}`);
    const on = <A extends unknown[]>(
      event: 'completed' | 'failed' | 'retrying',
      listener: (...args: A) => void,
    ) => {
      this.#queue.on(event, listener as never);
      this.#listeners.push(() => this.#queue.off(event, listener as never));
    };
    on('completed', (job: Job, result: unknown) => {
      if (!this.#options.tty)
        this.#line(
          `done     ${label(job)}${this.#options.describe ? `: ${this.#options.describe(result)}` : ''}`,
        );
    });
    on('failed', (job: Job, error: Error) =>
      this.#line(`failed   ${label(job)}: ${oneLine(error.message)}`),
    );
    on('retrying', (job: Job, error: Error, runAt: Date) =>
      this.#line(
        `retrying ${label(job)} in ${formatDuration(Math.max(0, runAt.getTime() - Date.now()))} (attempt ${job.attempts} of ${job.maxAttempts}): ${oneLine(error.message)}`,
      ),
    );
    if (this.#options.tty) {
      this.#timer = setInterval(() => void this.#refresh(), this.#options.intervalMs ?? 200);
      void this.#refresh();
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const off of this.#listeners.splice(0)) off();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#options.tty) {
      await this.#refresh();
      if (this.#drawn) this.#write('\n');
      this.#drawn = false;
    }
  }

  /** A plain line; on a terminal it goes above the bar, which is then redrawn. */
  #line(text: string): void {
    if (this.#drawn) this.#write('\r\x1b[2K');
    this.#write(`${text}\n`);
    this.#drawn = false;
    if (this.#options.tty && this.#stats) this.#draw(this.#stats);
  }

  async #refresh(): Promise<void> {
    const [stats] = await this.#queue.batches(this.#options.batch).catch(() => []);
    if (!stats) return;
    this.#stats = stats;
    this.#draw(stats);
  }

  #draw(stats: BatchStats): void {
    this.#write(`\r\x1b[2K${renderBar(stats)}`);
    this.#drawn = true;
  }
}

/** `[##########..............] 12/30 done, 1 failed, 2.4/s, ETA 8s` */
export function renderBar(stats: BatchStats): string {
  const { completed, failed, cancelled } = stats.counts;
  const finished = completed + failed + cancelled;
  const filled = stats.total > 0 ? Math.round((finished / stats.total) * BAR_WIDTH) : 0;
  const bar = '#'.repeat(filled).padEnd(BAR_WIDTH, '.');
  const rate = stats.ratePerSecond === null ? '-' : `${stats.ratePerSecond.toFixed(1)}/s`;
  const eta = stats.etaMs === null ? '-' : stats.etaMs === 0 ? '0s' : formatDuration(stats.etaMs);
  return `[${bar}] ${completed}/${stats.total} done, ${failed} failed, ${rate}, ETA ${eta}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
