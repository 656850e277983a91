/**
 * Reads a source or image URL: http(s) through the guarded fetcher and the host limiter,
 * file: from disk. A file: URL is only ever read when the CSV named it or a local page (itself
 * from the operator) links it: a page fetched over HTTP cannot make us read the disk.
 */
import { promises as fs } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetchHttp, type FetchLimits } from './http-fetch.js';
import type { HostLimiter } from './host-limiter.js';
import { permanent, transient } from './source-error.js';

export interface ReadOptions extends Omit<FetchLimits, 'inspectHead'> {
  limiter: HostLimiter;
  inspectHead?: (head: Buffer) => void;
}

export interface ReadResult {
  url: string;
  body: Buffer;
  contentType: string | null;
}

/**
 * A CSV source as a URL: http(s) and file: URLs as they are, anything else without a scheme as a
 * path relative to `baseDir`. Windows drive paths (`C:\...`) count as paths.
 */
export function sourceToUrl(source: string, baseDir: string): URL {
  const text = source.trim();
  if (/^[a-z][a-z0-9+.-]+:/i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw permanent(`not a valid URL: ${JSON.stringify(text)}`);
    }
    if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
      throw permanent(
        `unsupported scheme ${url.protocol} in ${JSON.stringify(text)} (use http, https or a file path)`,
      );
    }
    return url;
  }
  return pathToFileURL(isAbsolute(text) ? text : resolve(baseDir, text));
}

export async function readSource(url: URL, options: ReadOptions): Promise<ReadResult> {
  if (url.protocol === 'file:') return readLocal(url, options);
  return options.limiter.run(url.host, () => fetchHttp(url, options), options.signal);
}

async function readLocal(url: URL, options: ReadOptions): Promise<ReadResult> {
  const path = fileURLToPath(url);
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw permanent(`not a file: ${path}`);
    if (stat.size > options.maxBytes) {
      throw permanent(
        `too large: ${stat.size} bytes, over the limit of ${options.maxBytes} (${path})`,
      );
    }
    const body = await fs.readFile(path, { signal: options.signal });
    options.inspectHead?.(body.subarray(0, 4096));
    return { url: url.href, body, contentType: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw permanent(`file not found: ${path}`);
    if (code === 'EACCES' || code === 'EISDIR') throw permanent(`cannot read ${path} (${code})`);
    if (code === 'EMFILE' || code === 'EBUSY' || code === 'EIO')
      throw transient(`${code} reading ${path}`);
    throw error;
  }
}
