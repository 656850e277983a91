/**
 * `holdfast dashboard`: the web dashboard (and /metrics) until SIGINT/SIGTERM. Binds 127.0.0.1
 * by default and refuses any other address without a token.
 */
import type { Command } from 'commander';
import { normaliseBasePath } from '../../dashboard/handler.js';
import { startDashboard, DEFAULT_DASHBOARD_PORT } from '../../dashboard/server.js';
import { optionalArg, parseIntegerArg, parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { UsageError } from '../errors.js';
import { note, print } from '../output.js';

interface DashboardFlags {
  port?: string;
  host?: string;
  token?: string;
  readOnly?: boolean;
  allowedHost?: string[];
  basePath?: string;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve the web dashboard and /metrics (127.0.0.1:4600 by default)')
    .option(
      '--port <n>',
      `port to listen on, 0 for any free one (default: ${DEFAULT_DASHBOARD_PORT})`,
    )
    .option(
      '--host <address>',
      'address to bind; anything but loopback needs a token (default: 127.0.0.1)',
    )
    .option(
      '--token <token>',
      'require this token (default: $HOLDFAST_DASHBOARD_TOKEN; prefer it: flags show in `ps`)',
    )
    .option('--read-only', 'hide and refuse every action (retry, cancel, pause, resume)')
    .option(
      '--allowed-host <name...>',
      'extra Host names to accept, e.g. the name of your reverse proxy',
    )
    .option(
      '--base-path <path>',
      'serve under this path prefix, e.g. /holdfast (for a reverse proxy)',
    )
    .action(async (flags: DashboardFlags, command: Command) => {
      const port =
        optionalArg(flags.port, parseIntegerArg, '--port', 0, 65_535) ?? DEFAULT_DASHBOARD_PORT;
      const host = optionalArg(flags.host, parseNameArg, '--host') ?? '127.0.0.1';
      const token = flags.token ?? process.env.HOLDFAST_DASHBOARD_TOKEN ?? undefined;
      if (token !== undefined && token.length < 8)
        throw new UsageError('--token must be at least 8 characters (a long random one is best)');
      // Checked before the store opens, and named as the flag.
      const basePath = optionalArg(flags.basePath, normaliseBasePath, '--base-path');
      await withQueue(command, async (queue) => {
        const dashboard = await startDashboard(queue, {
          port,
          host,
          ...(token ? { token } : {}),
          readOnly: flags.readOnly === true,
          allowedHosts: (flags.allowedHost ?? []).map((name) =>
            parseNameArg(name, '--allowed-host'),
          ),
          basePath,
        });
        print(
          `holdfast: dashboard at ${dashboard.url}${flags.readOnly ? ' (read-only)' : ''}${token ? ' (token required)' : ''}`,
        );
        note('holdfast: metrics at /metrics; Ctrl-C to stop');
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await dashboard.close();
      });
    });
}
