/**
 * The built-in extractor: reads each source of a property (a listing page or a direct image),
 * downloads the images it finds, and stores each distinct image once under the property's
 * folder with a manifest. See DefaultExtractorOptions for every limit and its default.
 *
 * Outcome per property:
 * - every image stored or permanently failed: resolves (failures listed in the result);
 * - any transient failure (timeout, reset, 5xx, 429): throws a transient SourceError after the
 *   other sources are done and the manifest saved, so the retry fetches only what is missing;
 * - nothing stored and every source failed permanently: throws a permanent SourceError.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { parseByteSize } from '../../util/duration.js';
import { isPrivateAddress } from './address-guard.js';
import { findImageUrls } from './find-images.js';
import { HostLimiter } from './host-limiter.js';
import { readImageInfo, sniffImageType } from './image-info.js';
import { PropertyFolder } from './property-folder.js';
import { readSource, sourceToUrl, type ReadOptions } from './read-source.js';
import { SourceError, permanent, transient } from './source-error.js';
import type { ExtractContext, ExtractionResult, ImageExtractor, Property } from './types.js';

export interface DefaultExtractorOptions {
  /** Folder holding one sub-folder per property. Default `data/property_images`. */
  outDir?: string;
  /** Folder that relative local sources resolve against (a property's `baseDir` wins). Default the working directory. */
  baseDir?: string;
  /** Largest image or page, in bytes or like `20mb`; larger downloads are cut off. Default 20 MiB. */
  maxImageSize?: number | string;
  /** Largest width × height accepted, read from the header (no decoding). Default 100 megapixels. */
  maxPixels?: number;
  /** Largest width or height. Default 30,000. */
  maxSide?: number;
  /** No bytes for this long fails the request (transient). Default 15 s. */
  idleTimeoutMs?: number;
  /** One request, redirects included, must finish within this (stops a server that drips bytes). Default 60 s. */
  totalTimeoutMs?: number;
  /** Redirects followed per request; a loop is refused at once. Default 5. */
  maxRedirects?: number;
  /** Requests at once to one host, across every property this extractor works on. Default 2. */
  perHostConcurrency?: number;
  /** Least time between the starts of two requests to one host. Default 200 ms. */
  hostDelayMs?: number;
  /** Image downloads at once within one property. Default 4. */
  imageConcurrency?: number;
  /** Image URLs taken from one page; more are ignored (a page listing thousands is not a listing). Default 200. */
  maxImagesPerSource?: number;
  /** Allow private, loopback and link-local addresses (tests, local mirrors). Default false. */
  allowPrivateHosts?: boolean;
  /**
   * Decides per resolved IP instead of `allowPrivateHosts`, e.g. to allow one mirror on the LAN
   * and nothing else private. Default: public addresses only (every address with `allowPrivateHosts`).
   */
  isAllowedAddress?: (ip: string) => boolean;
  /** Default `holdfast-image-extractor/0.1`. */
  userAgent?: string;
}

const IMAGE_PATH = /\.(jpe?g|png|gif|webp)$/i;

interface RunState {
  folder: PropertyFolder;
  ctx: ExtractContext;
  saved: number;
  duplicates: number;
  skipped: number;
  done: number;
  total: number;
  transients: SourceError[];
}

export function createDefaultExtractor(options: DefaultExtractorOptions = {}): ImageExtractor {
  const outDir = resolve(options.outDir ?? 'data/property_images');
  const maxBytes = parseByteSize(options.maxImageSize ?? 20 * 1024 * 1024, 'maxImageSize');
  const maxPixels = options.maxPixels ?? 100_000_000;
  const maxSide = options.maxSide ?? 30_000;
  const imageConcurrency = options.imageConcurrency ?? 4;
  const maxImagesPerSource = options.maxImagesPerSource ?? 200;
  const limiter = new HostLimiter(options.perHostConcurrency ?? 2, options.hostDelayMs ?? 200);
  const readOptions = (signal: AbortSignal): ReadOptions => ({
    limiter,
    signal,
    maxBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? 15_000,
    totalTimeoutMs: options.totalTimeoutMs ?? 60_000,
    maxRedirects: options.maxRedirects ?? 5,
    allowAddress:
      options.isAllowedAddress ??
      (options.allowPrivateHosts ? () => true : (ip) => !isPrivateAddress(ip)),
    userAgent: options.userAgent ?? 'holdfast-image-extractor/0.1',
  });

  async function extract(property: Property, ctx: ExtractContext): Promise<ExtractionResult> {
    const folder = await PropertyFolder.open(outDir, property.address);
    const state: RunState = {
      folder,
      ctx,
      saved: 0,
      duplicates: 0,
      skipped: 0,
      done: 0,
      total: property.sources.length,
      transients: [],
    };
    const baseDir = resolve(
      typeof property.baseDir === 'string' ? property.baseDir : (options.baseDir ?? '.'),
    );
    ctx.progress(0, state.total, 'starting');
    for (const source of property.sources) {
      ctx.signal.throwIfAborted();
      if (folder.manifest.sources[source]?.status === 'complete') {
        state.skipped++;
      } else {
        await handleSource(source, baseDir, state);
      }
      state.done++;
      ctx.progress(state.done, state.total, source);
    }
    await folder.save();
    if (state.transients.length > 0) {
      const waits = state.transients.map((error) => error.retryAfterMs ?? 0);
      const wait = Math.max(...waits);
      throw transient(
        `${state.transients.length} transient failure(s): ${state.transients.map((error) => error.message).join('; ')}`,
        wait > 0 ? wait : undefined,
      );
    }
    const { images, failedSources } = folder.manifest;
    if (images.length === 0) {
      throw permanent(
        property.sources.length === 0
          ? `no sources for ${property.address}`
          : `every source failed: ${failedSources.map((failure) => `${failure.source}: ${failure.reason}`).join('; ')}`,
      );
    }
    return {
      address: property.address,
      slug: folder.slug,
      folder: folder.dir,
      images,
      failedSources,
      saved: state.saved,
      duplicates: state.duplicates,
      skipped: state.skipped,
    };
  }

  async function handleSource(source: string, baseDir: string, state: RunState): Promise<void> {
    const { folder, ctx } = state;
    const before = state.transients.length;
    let imageUrls: string[];
    let page: Awaited<ReturnType<typeof readSource>> | null = null;
    try {
      const url = sourceToUrl(source, baseDir);
      if (folder.imageByUrl(url.href)) {
        state.skipped++;
        imageUrls = [];
      } else {
        page = await readSource(url, readOptions(ctx.signal));
        if (sniffImageType(page.body)) {
          imageUrls = [page.url];
        } else if (
          /^image\//i.test(page.contentType ?? '') ||
          IMAGE_PATH.test(new URL(page.url).pathname)
        ) {
          // Labelled or named as an image but not one: an error page served as image/jpeg, say.
          throw permanent(`not an image (${describeContent(page.body)})`);
        } else {
          imageUrls = findImageUrls(page.body.toString('utf8'), page.url).slice(
            0,
            maxImagesPerSource,
          );
          if (imageUrls.length === 0) throw permanent('no images found on the page');
        }
      }
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      if (error.transient) state.transients.push(error);
      else {
        folder.recordFailure(source, error.message);
        folder.manifest.sources[source] = { status: 'failed', reason: error.message, imageUrls: 0 };
      }
      await folder.save();
      return;
    }
    folder.clearFailure(source);
    state.total += imageUrls.length;
    const fromFile = page !== null && page.url.startsWith('file:');
    await eachLimited(imageUrls, imageConcurrency, async (imageUrl) => {
      try {
        if (imageUrl.startsWith('file:') && !fromFile && page?.url !== imageUrl) {
          throw permanent('file: URL on a web page refused');
        }
        await handleImage(imageUrl, source, page?.url === imageUrl ? page.body : null, state);
      } catch (error) {
        if (!(error instanceof SourceError)) throw error;
        if (error.transient) state.transients.push(error);
        else folder.recordFailure(imageUrl, error.message);
      }
      state.done++;
      ctx.progress(state.done, state.total, imageUrl);
    });
    if (state.transients.length === before) {
      folder.manifest.sources[source] = { status: 'complete', imageUrls: imageUrls.length };
    }
    await folder.save();
  }

  async function handleImage(
    imageUrl: string,
    foundOn: string,
    body: Buffer | null,
    state: RunState,
  ): Promise<void> {
    const { folder, ctx } = state;
    if (folder.imageByUrl(imageUrl)) {
      state.skipped++;
      return;
    }
    const bytes =
      body ??
      (
        await readSource(new URL(imageUrl), {
          ...readOptions(ctx.signal),
          inspectHead: (head) => {
            if (!sniffImageType(head)) throw permanent(`not an image (${describeContent(head)})`);
          },
        })
      ).body;
    const info = readImageInfo(bytes);
    if (!info)
      throw permanent(
        `not a JPEG, PNG, GIF or WebP image, or its header is damaged (${describeContent(bytes)})`,
      );
    if (info.width > maxSide || info.height > maxSide || info.width * info.height > maxPixels) {
      throw permanent(
        `dimensions ${info.width}x${info.height} are over the limit (${maxSide} a side, ${maxPixels} pixels)`,
      );
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const same = folder.imageByHash(sha256);
    if (same) {
      if (same.source !== imageUrl && !same.alsoFrom.includes(imageUrl))
        same.alsoFrom.push(imageUrl);
      state.duplicates++;
    } else {
      const file = `${sha256}.${info.ext}`;
      await folder.writeImage(file, bytes);
      folder.manifest.images.push({
        source: imageUrl,
        foundOn,
        alsoFrom: [],
        sha256,
        file,
        bytes: bytes.length,
        type: info.type,
        width: info.width,
        height: info.height,
      });
      state.saved++;
    }
    folder.clearFailure(imageUrl);
    await folder.save();
  }

  return { extract };
}

function describeContent(head: Uint8Array): string {
  const text = Buffer.from(head.subarray(0, 64)).toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.startsWith('<'))
    return 'looks like HTML';
  if (head.length === 0) return 'empty';
  return `starts with ${Buffer.from(head.subarray(0, 8)).toString('hex')}`;
}

/** Runs `task` over `items` with at most `limit` at once; the first unexpected error rejects. */
async function eachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}
