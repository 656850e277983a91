/**
 * The real PostgreSQL for tests: 127.0.0.1:5432, database `test` (HOLDFAST_TEST_PG to point
 * elsewhere). Each test gets its own schema with a random name, dropped afterwards, so test
 * files running side by side never see each other's jobs. PostgreSQL is required: a missing
 * server fails the tests (with CI=true and without), it never skips them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/store.js';

export const TEST_PG = process.env.HOLDFAST_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Stores must not write reconnect chatter into test output unless asked. */
export const quietLogger = (): void => undefined;

export function randomSchema(prefix = 't'): string {
  return `hf_${prefix}_${randomBytes(5).toString('hex')}`;
}

export function urlWithSchema(schema: string): string {
  const url = new URL(TEST_PG);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** A plain client on the test database, for setting up what the store cannot (locks, raw rows). */
export async function rawClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_PG });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for these tests and is not reachable at ${TEST_PG} (${(error as Error).message}). ` +
        `Start it (.ci/run does) or set HOLDFAST_TEST_PG.`,
    );
  }
  return client;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = await rawClient();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** Fails fast, with the reason, when PostgreSQL is not there. */
export async function requirePostgres(): Promise<void> {
  const client = await rawClient();
  await client.end();
}

export async function openTestStore(schema: string): Promise<Store> {
  return openPostgresStore(TEST_PG, { schema, logger: quietLogger });
}

/**
 * Per-file fixtures that clean up after each test (stores closed, schemas dropped, clients
 * ended, in reverse order). Call once at the top level of a test file.
 */
export function pgFixtures(): {
  freshStore(prefix: string): Promise<{ store: Store; schema: string }>;
  client(): Promise<pg.Client>;
  onCleanup(cleanup: () => Promise<void>): void;
} {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async freshStore(prefix) {
      const schema = randomSchema(prefix);
      cleanups.push(() => dropSchema(schema));
      const store = await openTestStore(schema);
      cleanups.push(() => store.close());
      return { store, schema };
    },
    async client() {
      const c = await rawClient();
      cleanups.push(() => c.end());
      return c;
    },
    onCleanup: (cleanup) => void cleanups.push(cleanup),
  };
}
