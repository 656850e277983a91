import { StoreError } from '../../errors.js';
import type { Connection } from './connection.js';
import { LATEST_VERSION, MIGRATIONS } from './schema.js';

type Contents =
  { kind: 'empty' } | { kind: 'foreign'; tables: string[] } | { kind: 'holdfast'; version: number };

/** What the file holds: nothing yet, someone else's tables, or holdfast's at some version. */
export function inspect(conn: Connection): Contents {
  const tables = conn.db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .pluck()
    .all() as string[];
  if (tables.length === 0) return { kind: 'empty' };
  if (!tables.includes('holdfast_meta')) return { kind: 'foreign', tables };
  const value = conn.db
    .prepare(`SELECT value FROM holdfast_meta WHERE key = 'schema_version'`)
    .pluck()
    .get() as string | undefined;
  return { kind: 'holdfast', version: Number(value ?? 0) };
}

/**
 * Refuses a file holdfast must not touch. Runs before any write (WAL switch included), so a
 * refused file is left byte-identical.
 */
export function assertUsable(conn: Connection, path: string): void {
  const contents = inspect(conn);
  if (contents.kind === 'foreign') {
    throw new StoreError(
      `${path} is a SQLite database that belongs to something else (tables: ${contents.tables.slice(0, 5).join(', ')}); holdfast will not touch it. Choose another path with --db or HOLDFAST_DB.`,
    );
  }
  if (contents.kind === 'holdfast' && contents.version > LATEST_VERSION) {
    throw new StoreError(
      `${path} was written by a newer holdfast (schema ${contents.version}; this version knows up to ${LATEST_VERSION}). Upgrade holdfast.`,
    );
  }
}

/** Applies the missing migrations in one transaction; re-checks inside it, as another process may have migrated meanwhile. */
export function migrate(conn: Connection, path: string): void {
  conn.immediate(() => {
    assertUsable(conn, path);
    const contents = inspect(conn);
    const current = contents.kind === 'holdfast' ? contents.version : 0;
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      conn.db.exec(migration.sql);
      conn.db
        .prepare(
          `INSERT INTO holdfast_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        )
        .run(String(migration.version));
    }
  });
}
