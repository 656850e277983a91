/**
 * The pool, and what to do when PostgreSQL goes away for a moment (a restart, a failover,
 * a dropped connection): transient errors are retried with backoff where that is safe,
 * and otherwise surface as a StoreError marked `transient`, which the worker retries
 * without counting a job failure.
 */
import pg from 'pg';
import { StoreError } from '../../errors.js';

export type Queryable = Pick<pg.ClientBase, 'query'>;

/** SQLSTATE classes and codes that say "try again", not "this statement is wrong". */
const TRANSIENT_CODES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '53300', '55P03']);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const TRANSIENT_MESSAGES =
  /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed|socket hang up/i;

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as { transient?: boolean }).transient === true) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_CODES.has(code) || code.startsWith('08') || TRANSIENT_NODE_CODES.has(code))
      return true;
  }
  return TRANSIENT_MESSAGES.test(error.message);
}

/** A transient error as the worker sees it: a StoreError it retries, never a job failure. */
export function asStoreError(error: unknown, what: string): Error {
  if (!isTransient(error)) return error as Error;
  const wrapped = new StoreError(
    `PostgreSQL unavailable during ${what}: ${(error as Error).message}`,
    { cause: error },
  );
  (wrapped as StoreError & { transient: boolean }).transient = true;
  return wrapped;
}

/**
 * A restart of PostgreSQL 15 on this class of machine takes 1-5 s; 30 s of retries covers it
 * and a short failover, while a database that is really gone still fails within a minute.
 */
const RETRY_BUDGET_MS = 30_000;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 2_000;

export type Logger = (message: string) => void;

export const defaultLogger: Logger = (message) =>
  process.stderr.write(`holdfast: postgres: ${message}\n`);

export function createPool(connectionString: string, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    // Enough for a worker's claim, heartbeat and completer loops plus the client API at once.
    max: 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'holdfast',
  });
  // An idle client whose server went away emits here; without a listener the process would crash.
  pool.on('error', (error) => log(`idle connection lost (${error.message}); it will be replaced`));
  return pool;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Connection {
  readonly pool: pg.Pool;
  readonly log: Logger;

  constructor(pool: pg.Pool, log: Logger) {
    this.pool = pool;
    this.log = log;
  }

  /**
   * Runs `fn` on one pooled client. Failing to connect is always retried (nothing was sent);
   * a failure after that only when `idempotent`, since the server may have committed.
   */
  async run<T>(
    what: string,
    idempotent: boolean,
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    const started = Date.now();
    let delay = FIRST_DELAY_MS;
    let logged = false;
    for (;;) {
      let client: pg.PoolClient | undefined;
      let broken: Error | null = null;
      // A checked-out client has no error listener of the pool's: a server that goes away
      // between two statements (a restart) would otherwise be an uncaught 'error' event that
      // kills the process. The statement in flight fails on its own; this only records it.
      const onError = (error: Error) => (broken = error);
      try {
        client = await this.pool.connect();
        client.on('error', onError);
        const result = await fn(client);
        client.off('error', onError);
        client.release(broken ?? undefined);
        if (logged) this.log(`${what}: reconnected`);
        return result;
      } catch (error) {
        client?.off('error', onError);
        // A broken client must not go back to the pool.
        client?.release(broken ?? (isTransient(error) ? (error as Error) : undefined));
        const retryable = isTransient(error) && (idempotent || client === undefined);
        if (!retryable || Date.now() - started + delay > RETRY_BUDGET_MS)
          throw asStoreError(error, what);
        if (!logged) this.log(`${what}: ${(error as Error).message}; retrying with backoff`);
        logged = true;
        await sleep(delay);
        delay = Math.min(MAX_DELAY_MS, delay * 2);
      }
    }
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[] = [],
    idempotent = true,
  ): Promise<pg.QueryResult<R>> {
    return this.run(what, idempotent, (client) => client.query<R>(text, values));
  }

  /** BEGIN ... COMMIT (read committed) around `fn`; rolled back if it throws. */
  transaction<T>(
    what: string,
    idempotent: boolean,
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    return this.run(what, idempotent, (client) => inTransaction(client, fn));
  }
}

export async function inTransaction<C extends Queryable, T>(
  client: C,
  fn: (client: C) => Promise<T>,
): Promise<T> {
  await client.query('begin');
  try {
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
