/** The pipeline's types: a property, what an extractor returns, and the extractor seam. */

/** A row of the properties CSV: an address and its sources, plus any other columns. */
export interface Property {
  address: string;
  /** Listing pages or direct image URLs: http(s) URLs, or local file paths (relative to `baseDir`). */
  sources: string[];
  /** Folder that relative local paths resolve against (the CSV's folder). */
  baseDir?: string;
  [extra: string]: unknown;
}

export interface StoredImage {
  /** The image URL it was first downloaded from. */
  source: string;
  /** The page (or CSV source) where that URL was found. */
  foundOn: string;
  /** Other URLs whose content was the same bytes: stored once. */
  alsoFrom: string[];
  sha256: string;
  /** File name inside the property folder: `<sha256>.<ext>`. */
  file: string;
  bytes: number;
  type: 'jpeg' | 'png' | 'gif' | 'webp';
  width: number;
  height: number;
}

export interface FailedSource {
  /** A CSV source or an image URL found on one. */
  source: string;
  reason: string;
}

export interface ExtractionResult {
  address: string;
  slug: string;
  /** Absolute folder holding the images and manifest.json. */
  folder: string;
  /** Every image stored for the property (this run and earlier ones). */
  images: StoredImage[];
  failedSources: FailedSource[];
  /** Images written by this run. */
  saved: number;
  /** Images skipped by this run because the same bytes were already stored. */
  duplicates: number;
  /** Sources and image URLs this run did not fetch because the manifest had them. */
  skipped: number;
}

export interface ExtractContext {
  signal: AbortSignal;
  progress(current: number, total: number, message?: string): void;
}

/** Anything that turns a property into stored images: plug your own into createImageExtractionHandler. */
export interface ImageExtractor {
  extract(property: Property, ctx: ExtractContext): Promise<ExtractionResult>;
}
