/** A tiny HTTP server with only GET /metrics: for worker processes (`holdfast work --metrics-port`). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobQueue } from '../client.js';
import { HoldfastError } from '../errors.js';
import { assertInteger } from '../options.js';
import { createMetrics, type HoldfastMetrics, type MetricsOptions } from './metrics.js';

export interface MetricsServerOptions extends MetricsOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind. Default 127.0.0.1; give 0.0.0.0 for a Prometheus on another machine. */
  host?: string;
  /** Serve these metrics instead of creating them. */
  metrics?: HoldfastMetrics;
}

export interface MetricsServer {
  readonly server: Server;
  readonly port: number;
  /** e.g. `http://127.0.0.1:9464/metrics` */
  readonly url: string;
  readonly metrics: HoldfastMetrics;
  close(): Promise<void>;
}

export async function startMetricsServer(
  queue: JobQueue,
  options: MetricsServerOptions,
): Promise<MetricsServer> {
  const port = assertInteger(options.port, 'port', 0, 65_535);
  const host = options.host ?? '127.0.0.1';
  const metrics = options.metrics ?? createMetrics(queue, options);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res
        .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end('Not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
        .end('Use GET\n');
      return;
    }
    metrics.text().then(
      (text) =>
        res
          .writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' })
          .end(text),
      (error: Error) =>
        res
          .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end(`metrics failed: ${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      if (!options.metrics) metrics.close();
      reject(
        error.code === 'EADDRINUSE'
          ? new HoldfastError(
              `Metrics port ${port} on ${host} is already in use; pick another with --metrics-port`,
            )
          : error,
      );
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: bound,
    url: `http://${shownHost}:${bound}/metrics`,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        if (!options.metrics) metrics.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
