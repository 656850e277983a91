import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onTestFinished } from 'vitest';

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  url(path: string): string;
  /** Requests per path, in order. */
  hits: string[];
  count(path: string): number;
  route(path: string, handler: Route): void;
}

/** A real HTTP server on 127.0.0.1 with per-path routes; closed (sockets included) when the test ends. */
export async function startServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table = new Map(Object.entries(routes));
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push(path);
    const handler = table.get(path);
    if (handler) handler(req, res);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => origin + path,
    hits,
    count: (path) => hits.filter((hit) => hit === path).length,
    route: (path, handler) => table.set(path, handler),
  };
}

export function send(
  body: string | Buffer,
  type: string,
  status = 200,
  headers: Record<string, string> = {},
): Route {
  return (_req, res) => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  };
}

export function html(body: string): Route {
  return send(
    `<!doctype html><html><head></head><body>${body}</body></html>`,
    'text/html; charset=utf-8',
  );
}
