/**
 * The work_items.json file itself: read, merge and write it safely, shared with other tools.
 * Format: docs/work-items.md. holdfast owns exactly two things in it: the top-level `holdfast`
 * key, and the `holdfast` key of each entry of `items`. Everything else (other top-level keys,
 * other keys of an item, items holdfast does not know) is kept as the file had it at the moment
 * of the write, because the file is re-read under the lock right before every write.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { removeDeadTempFiles, writeFileAtomic } from './atomic-file.js';
import { withFileLock, type LockOptions } from './file-lock.js';

export type JsonObject = { [key: string]: unknown };

export interface WorkItemsUpdate {
  /** The new top-level `holdfast` value. */
  summary: unknown;
  /** Per item key, the new value of that item's `holdfast` key. */
  items: Map<string, unknown>;
}

export interface WorkItemsFileOptions extends LockOptions {
  /** Called with a warning, e.g. when a corrupt file is moved aside. Default: console.warn. */
  warn?: (message: string) => void;
}

export class WorkItemsFile {
  readonly path: string;
  readonly #options: WorkItemsFileOptions;

  constructor(path: string, options: WorkItemsFileOptions = {}) {
    this.path = path;
    this.#options = options;
  }

  /**
   * Under the lock: re-reads the file, lets `build` compute holdfast's part (so the snapshot is
   * taken after any earlier writer finished: writes land in the order their data was read),
   * merges, and replaces the file atomically.
   */
  async update(build: () => Promise<WorkItemsUpdate>): Promise<void> {
    await fs.mkdir(dirname(this.path), { recursive: true });
    await withFileLock(
      this.path,
      async () => {
        await removeDeadTempFiles(dirname(this.path), this.path);
        const existing = await this.#readOrSetAside();
        const update = await build();
        await writeFileAtomic(this.path, `${JSON.stringify(merge(existing, update), null, 2)}\n`);
      },
      this.#options,
    );
  }

  /** The parsed file, or {} when it does not exist; a corrupt file is renamed aside with a warning. */
  async #readOrSetAside(): Promise<JsonObject> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
      if (isObject(parsed)) return parsed;
    } catch {
      // fall through: corrupt
    }
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(this.path, aside);
    (this.#options.warn ?? ((message: string) => console.warn(message)))(
      `warning: ${basename(this.path)} was not a JSON object; kept it as ${aside} and wrote a fresh one`,
    );
    return {};
  }
}

function merge(existing: JsonObject, update: WorkItemsUpdate): JsonObject {
  // Another tool that already uses `items` for something else (a list, say) keeps it.
  const itemsKey =
    existing.items === undefined || isObject(existing.items) ? 'items' : 'holdfastItems';
  const current = existing[itemsKey];
  const items: JsonObject = isObject(current) ? { ...current } : {};
  for (const [key, value] of update.items) {
    const item = items[key];
    items[key] = { ...(isObject(item) ? item : {}), holdfast: value };
  }
  return { ...existing, holdfast: update.summary, [itemsKey]: items };
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
