/**
 * Reads the properties CSV into one Property per address, before anything is enqueued, so that
 * a bad file changes nothing: every problem is reported with its line and the import stops.
 * Rows with the same address (compared without case and extra spaces) merge into one property
 * with the union of their sources. A cell may hold several sources separated by spaces or `|`.
 */
import { dirname, resolve } from 'node:path';
import { ValidationError } from '../../errors.js';
import { openCsvArg } from '../../csv/records.js';
import type { Property } from './types.js';

export interface PropertiesCsvOptions {
  /** Default `address`. */
  addressColumn?: string;
  /** Default: every column whose name mentions source, url, listing, image, photo, link or page. */
  sourceColumns?: string[];
}

export interface PropertiesCsv {
  properties: Property[];
  /** Rows folded into an earlier row with the same address. */
  merged: number;
  sourceColumns: string[];
}

const SOURCE_LIKE = /source|url|listing|image|photo|link|page/i;
const RESERVED = new Set(['address', 'sources', 'baseDir']);
const LISTED_PROBLEMS = 20;

export class PropertiesCsvError extends ValidationError {
  override name = 'PropertiesCsvError';
}

export async function readPropertiesCsv(
  file: string,
  options: PropertiesCsvOptions = {},
): Promise<PropertiesCsv> {
  const addressColumn = options.addressColumn ?? 'address';
  const table = await openCsvArg(file, '--csv');
  const columns = table.header.map((name) => JSON.stringify(name)).join(', ');
  const fail = async (message: string): Promise<never> => {
    await table.records.return(undefined);
    throw new PropertiesCsvError(message);
  };
  if (!table.header.includes(addressColumn)) {
    await fail(
      `${file} has no column ${JSON.stringify(addressColumn)} (its columns are ${columns}); name it with --address-column`,
    );
  }
  const sourceColumns =
    options.sourceColumns ??
    table.header.filter((name) => name !== addressColumn && SOURCE_LIKE.test(name));
  const unknown = sourceColumns.filter((name) => !table.header.includes(name));
  if (unknown.length > 0) {
    await fail(
      `--source-columns: ${file} has no column ${unknown.map((name) => JSON.stringify(name)).join(', ')} (its columns are ${columns})`,
    );
  }
  if (sourceColumns.length === 0) {
    await fail(
      `${file}: no column looks like it holds sources (its columns are ${columns}); name them with --source-columns a,b`,
    );
  }

  const baseDir = dirname(resolve(file));
  const byAddress = new Map<string, Property>();
  const problems: string[] = [];
  let problemCount = 0;
  let merged = 0;
  for await (const item of table.records) {
    const problem = (message: string) => {
      problemCount++;
      if (problems.length < LISTED_PROBLEMS) problems.push(`  line ${item.line}: ${message}`);
    };
    if (item.error !== undefined) {
      problem(item.error);
      continue;
    }
    const address = item.record[addressColumn]!.replace(/\s+/g, ' ').trim();
    if (address === '') {
      problem(`missing address (column ${JSON.stringify(addressColumn)} is empty)`);
      continue;
    }
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (address.length > 200 || /[\u0000-\u001f\u007f]/.test(address)) {
      problem(
        `address must be at most 200 characters without control characters, got ${JSON.stringify(address.slice(0, 60))}`,
      );
      continue;
    }
    const sources = sourceColumns.flatMap((name) => splitSources(item.record[name]!));
    const id = address.toLowerCase();
    const existing = byAddress.get(id);
    if (existing) {
      merged++;
      for (const source of sources)
        if (!existing.sources.includes(source)) existing.sources.push(source);
      continue;
    }
    const extra = Object.fromEntries(
      Object.entries(item.record).filter(
        ([name]) => name !== addressColumn && !sourceColumns.includes(name) && !RESERVED.has(name),
      ),
    );
    byAddress.set(id, { ...extra, address, sources: [...new Set(sources)], baseDir });
  }
  if (problemCount > 0) {
    const more =
      problemCount > problems.length ? `\n  ... and ${problemCount - problems.length} more` : '';
    throw new PropertiesCsvError(
      `${file}: ${problemCount} invalid row${problemCount === 1 ? '' : 's'}; nothing was enqueued:\n${problems.join('\n')}${more}`,
    );
  }
  return { properties: [...byAddress.values()], merged, sourceColumns };
}

export function splitSources(cell: string): string[] {
  return cell.split(/[\s|]+/).filter((part) => part !== '');
}
