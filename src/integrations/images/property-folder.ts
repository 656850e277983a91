/**
 * Where a property's images live: `<out>/<slug>/<sha256>.<ext>` plus `manifest.json`.
 *
 * The slug comes from the address, which is untrusted text (a CSV cell): it is reduced to
 * [a-z0-9-] so no `..`, `/`, `\`, NUL or dots-only name can escape or confuse the folder, capped
 * at 60 characters (plus the hash, well under the 255-byte name limit of every file system),
 * and suffixed with 10 hex digits of the address's sha256 so that two addresses that reduce to
 * the same text ("12 Main St" and "12 MAIN ST.") never share a folder. Stable: same address,
 * same slug, on every run and machine.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { removeDeadTempFiles, writeFileAtomic } from '../../progress/atomic-file.js';
import type { FailedSource, StoredImage } from './types.js';

const SLUG_TEXT_MAX = 60;

export function addressSlug(address: string): string {
  const text = address
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_TEXT_MAX)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(address, 'utf8').digest('hex').slice(0, 10);
  return `${text || 'property'}-${hash}`;
}

/** What the manifest remembers per CSV source, so a re-run can skip a source fully handled. */
export interface SourceRecord {
  /** `complete`: every image on it is stored or failed permanently; never fetched again. */
  status: 'complete' | 'failed';
  reason?: string;
  imageUrls: number;
}

export interface Manifest {
  version: 1;
  address: string;
  slug: string;
  updatedAt: string;
  images: StoredImage[];
  failedSources: FailedSource[];
  sources: Record<string, SourceRecord>;
}

export class PropertyFolder {
  readonly dir: string;
  readonly manifestPath: string;
  readonly slug: string;
  manifest: Manifest;
  #saving: Promise<void> = Promise.resolve();

  private constructor(dir: string, slug: string, manifest: Manifest) {
    this.dir = dir;
    this.slug = slug;
    this.manifestPath = join(dir, 'manifest.json');
    this.manifest = manifest;
  }

  /** Opens (creating) the folder, loads its manifest and removes temp files of writers that died. */
  static async open(outDir: string, address: string): Promise<PropertyFolder> {
    const slug = addressSlug(address);
    const dir = join(outDir, slug);
    await fs.mkdir(dir, { recursive: true });
    await removeDeadTempFiles(dir);
    const empty: Manifest = {
      version: 1,
      address,
      slug,
      updatedAt: new Date().toISOString(),
      images: [],
      failedSources: [],
      sources: {},
    };
    let manifest = empty;
    try {
      const parsed = JSON.parse(await fs.readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      if (parsed?.version === 1 && Array.isArray(parsed.images) && parsed.address === address) {
        manifest = {
          ...empty,
          ...parsed,
          sources: parsed.sources ?? {},
          failedSources: parsed.failedSources ?? [],
        };
      }
    } catch {
      // Missing, or unreadable (it is written atomically, so only a hand edit breaks it): rebuilt from scratch.
    }
    const folder = new PropertyFolder(dir, slug, manifest);
    await folder.#dropMissingFiles();
    return folder;
  }

  /** An image listed in the manifest whose file is gone (deleted by hand) is fetched again. */
  async #dropMissingFiles(): Promise<void> {
    const present = new Set(await fs.readdir(this.dir));
    const kept = this.manifest.images.filter((image) => present.has(image.file));
    if (kept.length !== this.manifest.images.length) {
      this.manifest.images = kept;
      this.manifest.sources = {}; // pages listing the lost images must be read again
    }
  }

  imageByUrl(url: string): StoredImage | undefined {
    return this.manifest.images.find(
      (image) => image.source === url || image.alsoFrom.includes(url),
    );
  }

  imageByHash(sha256: string): StoredImage | undefined {
    return this.manifest.images.find((image) => image.sha256 === sha256);
  }

  /** Writes the image file atomically (unless the same bytes are already there). */
  async writeImage(file: string, body: Uint8Array): Promise<void> {
    const path = join(this.dir, file);
    const existing = await fs.stat(path).catch(() => null);
    if (existing?.isFile() && existing.size === body.length) return;
    await writeFileAtomic(path, body);
  }

  recordFailure(source: string, reason: string): void {
    this.manifest.failedSources = this.manifest.failedSources.filter(
      (failure) => failure.source !== source,
    );
    this.manifest.failedSources.push({ source, reason });
  }

  clearFailure(source: string): void {
    this.manifest.failedSources = this.manifest.failedSources.filter(
      (failure) => failure.source !== source,
    );
  }

  /** Saves are chained so that an older snapshot never lands after a newer one. */
  save(): Promise<void> {
    const next = this.#saving.then(async () => {
      this.manifest.updatedAt = new Date().toISOString();
      await writeFileAtomic(this.manifestPath, `${JSON.stringify(this.manifest, null, 2)}\n`);
    });
    this.#saving = next.catch(() => {});
    return next;
  }
}
