import { ValidationError } from '../../errors.js';
import { describe } from '../../options.js';

export const DEFAULT_SCHEMA = 'holdfast';

/**
 * Lower-case identifiers only, so the schema never needs case-sensitive quoting and the
 * NOTIFY channel `holdfast_<schema>` stays within PostgreSQL's 63-byte identifier limit.
 */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

export interface PostgresConfig {
  /** Connection string without holdfast's own query parameters. */
  connectionString: string;
  schema: string;
  /** For messages: the URL without its password. */
  description: string;
}

/**
 * The schema comes from `options.schema`, else the URL's `?schema=` query, else `holdfast`.
 * The `schema` parameter is removed before the URL reaches `pg`.
 */
export function resolveConfig(
  url: string,
  options: { schema?: string | undefined },
): PostgresConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(
      `Expected a PostgreSQL URL like postgres://user@host:5432/db, got ${describe(url)}`,
    );
  }
  const fromUrl = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const schema = options.schema ?? fromUrl ?? DEFAULT_SCHEMA;
  if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema)) {
    throw new ValidationError(
      `Expected \`schema\` to be a lower-case identifier (a-z, 0-9, _; at most 48 characters, not starting with a digit), got ${describe(schema)}`,
    );
  }
  const shown = new URL(parsed.toString());
  if (shown.password) shown.password = '***';
  return {
    connectionString: parsed.toString(),
    schema,
    description: `${shown.protocol}//${shown.username ? `${shown.username}@` : ''}${shown.host}${shown.pathname} (schema ${schema})`,
  };
}

/** The NOTIFY channel of one schema: workers of other schemas on the same database are not woken. */
export function channelFor(schema: string): string {
  return `holdfast_${schema}`;
}
