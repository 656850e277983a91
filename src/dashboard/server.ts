/** `holdfast dashboard`: the handler on its own HTTP server, safe by default. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobQueue } from '../client.js';
import { HoldfastError, ValidationError } from '../errors.js';
import { assertInteger } from '../options.js';
import { createDashboardHandler, type DashboardHandler, type DashboardOptions } from './handler.js';
import { isLoopback } from './security.js';

export interface DashboardServerOptions extends Omit<DashboardOptions, 'boundHost'> {
  /** Default 4600; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Any other address needs a `token`. */
  host?: string;
}

export interface DashboardServer {
  readonly server: Server;
  readonly handler: DashboardHandler;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export const DEFAULT_DASHBOARD_PORT = 4600;

/**
 * Refuses to listen beyond loopback without a token: the dashboard can retry and cancel jobs
 * and shows their payloads, which must not be open to a whole network by one flag.
 */
export function assertSafeBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new ValidationError(
      `Refusing to serve the dashboard on ${host} without a token: anyone who can reach it could read payloads and retry or cancel jobs. ` +
        'Give --token (or HOLDFAST_DASHBOARD_TOKEN), or bind 127.0.0.1.',
    );
  }
}

export async function startDashboard(
  queue: JobQueue,
  options: DashboardServerOptions = {},
): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const port =
    options.port === undefined
      ? DEFAULT_DASHBOARD_PORT
      : assertInteger(options.port, 'port', 0, 65_535);
  assertSafeBind(host, options.token);
  const handler = createDashboardHandler(queue, { ...options, boundHost: host });
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      handler.close();
      const where = `${host}:${port}`;
      if (error.code === 'EADDRINUSE') {
        reject(
          new HoldfastError(`Port ${port} on ${host} is already in use; pick another with --port`),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(new HoldfastError(`Cannot listen on ${where}: this machine has no such address`));
      } else reject(error);
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    handler,
    port: bound,
    url: `http://${shown}:${bound}${options.basePath ? options.basePath.replace(/\/$/, '') : ''}/`,
    close: () =>
      new Promise<void>((resolve) => {
        handler.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
