/**
 * `holdfast work <queue...> --handler <module>`: run jobs until SIGINT/SIGTERM, or until the
 * queues are empty with --exit-when-empty.
 */
import type { Command } from 'commander';
import type { JobQueue } from '../../client.js';
import type { Job, JobLogger } from '../../types.js';
import type { MetricsServer } from '../../metrics/server.js';
import { formatDuration } from '../../util/duration.js';
import { optionalArg, parseDurationArg, parseIntegerArg, parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { UsageError } from '../errors.js';
import { loadHandler } from '../handler-module.js';
import { note, print } from '../output.js';

interface WorkFlags {
  handler?: string;
  concurrency?: string;
  prefetch?: string;
  lease?: string;
  backoffMin?: string;
  backoffMax?: string;
  shutdownGrace?: string;
  pollInterval?: string;
  exitWhenEmpty?: boolean;
  quiet?: boolean;
  metricsPort?: string;
  metricsHost?: string;
}

export function registerWork(program: Command): void {
  program
    .command('work')
    .description('run the jobs of one or more queues with a handler module')
    .argument('<queue...>', 'queues to take jobs from')
    .option(
      '--handler <module>',
      'module (.js, .mjs or .ts) whose default export handles a job (required)',
    )
    .option('--concurrency <n>', 'jobs run at once (default: 10)')
    .option(
      '--prefetch <n>',
      'claimed jobs that may wait for a free slot while the queue has a backlog; faster for many short jobs (default: 0)',
    )
    .option('--lease <duration>', 'lease of a claimed job, renewed while it runs (default: 30s)')
    .option('--backoff-min <duration>', 'first retry delay (default: 1s)')
    .option('--backoff-max <duration>', 'longest retry delay (default: 5m)')
    .option(
      '--shutdown-grace <duration>',
      'on SIGINT/SIGTERM, time running jobs get to finish before they are handed back (default: 10s)',
    )
    .option(
      '--poll-interval <duration>',
      'how often an idle worker looks for due jobs when nothing woke it (default: 1s)',
    )
    .option('--exit-when-empty', 'exit 0 once the queues hold no pending, running or retrying job')
    .option('--quiet', 'no line per finished job')
    .option('--metrics-port <n>', 'serve Prometheus metrics at http://<metrics-host>:<n>/metrics')
    .option('--metrics-host <address>', 'address for --metrics-port (default: 127.0.0.1)')
    .action(async (queueArgs: string[], flags: WorkFlags, command: Command) => {
      const queues = queueArgs.map((name) => parseNameArg(name, '<queue>'));
      if (flags.handler === undefined)
        throw new UsageError('work needs --handler <module>, e.g. --handler ./handler.js');
      const concurrency = optionalArg(
        flags.concurrency,
        parseIntegerArg,
        '--concurrency',
        1,
        10_000,
      );
      const prefetch = optionalArg(flags.prefetch, parseIntegerArg, '--prefetch', 0, 10_000);
      const lease = optionalArg(flags.lease, parseDurationArg, '--lease', 100);
      const min = optionalArg(flags.backoffMin, parseDurationArg, '--backoff-min');
      const max = optionalArg(flags.backoffMax, parseDurationArg, '--backoff-max');
      if (min !== undefined && max !== undefined && max < min) {
        throw new UsageError(
          `--backoff-max (${flags.backoffMax}) must be at least --backoff-min (${flags.backoffMin})`,
        );
      }
      const shutdownGrace = optionalArg(flags.shutdownGrace, parseDurationArg, '--shutdown-grace');
      const pollInterval = optionalArg(flags.pollInterval, parseDurationArg, '--poll-interval', 1);
      const metricsPort = optionalArg(
        flags.metricsPort,
        parseIntegerArg,
        '--metrics-port',
        0,
        65_535,
      );
      const handler = await loadHandler(flags.handler);
      await withQueue(command, async (queue) => {
        // Started before the worker, so the metrics see its first jobs' events. Imported only
        // when asked for: prom-client adds about 30 ms to every `holdfast work` start.
        let metrics: MetricsServer | null = null;
        if (metricsPort !== undefined) {
          const { startMetricsServer } = await import('../../metrics/server.js');
          metrics = await startMetricsServer(queue, {
            port: metricsPort,
            host: flags.metricsHost ?? '127.0.0.1',
          });
          note(`holdfast: metrics at ${metrics.url}`);
        }
        const quiet = flags.quiet === true;
        if (!quiet) reportJobs(queue);
        const executor = queue.work(queues, handler, {
          // An option left undefined takes the worker's default.
          concurrency,
          prefetch,
          lease,
          shutdownGrace,
          pollInterval,
          backoff: { min, max },
          exitWhenEmpty: flags.exitWhenEmpty === true,
          handleSignals: true,
          logger: stderrLogger(quiet),
        });
        if (!quiet) {
          const until = flags.exitWhenEmpty ? 'until they are empty' : 'until Ctrl-C';
          note(
            `holdfast: working on ${queues.join(', ')} (concurrency ${executor.concurrency}) ${until}`,
          );
        }
        await executor.done.finally(() => metrics?.close());
      });
    });
}

/** One line per finished (or retrying) job, from the queue's events. */
export function reportJobs(queue: JobQueue): void {
  const name = (job: Job) => `#${job.id} ${job.queue}${job.key ? ` ${job.key}` : ''}`;
  queue.on('completed', (job, _result, durationMs) =>
    print(`completed  ${name(job)} in ${formatDuration(durationMs)}`),
  );
  queue.on('failed', (job, error) =>
    print(`failed     ${name(job)} after attempt ${job.attempts}: ${oneLine(error.message)}`),
  );
  queue.on('retrying', (job, error, runAt) =>
    print(
      `retrying   ${name(job)} attempt ${job.attempts} of ${job.maxAttempts} failed: ${oneLine(error.message)}; next in ${formatDuration(Math.max(0, runAt.getTime() - Date.now()))}`,
    ),
  );
  queue.on('cancelled', (job) => print(`cancelled  ${name(job)}`));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Handler logs and background warnings on stderr; --quiet keeps only warnings and errors. */
function stderrLogger(quiet: boolean): JobLogger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) =>
    note(
      `${level} ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`,
    );
  return {
    info: (message, fields) => {
      if (!quiet) write('info', message, fields);
    },
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
