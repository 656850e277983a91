/**
 * The built-in handlers that `holdfast work <queue> --handler builtin:<name>` can run without a
 * module of your own. Options ride on the spec as a query string, so that every worker process
 * states them on its command line:
 *
 *   holdfast work images --handler 'builtin:extract-images?out=data/property_images&max-image-size=20mb'
 *   ... add `&allow-private-hosts` to fetch from private addresses (local mirrors, tests).
 */
import { ValidationError } from '../../errors.js';
import type { JobHandler } from '../../types.js';
import { parseByteSize } from '../../util/duration.js';
import { createDefaultExtractor, type DefaultExtractorOptions } from './default-extractor.js';
import { createImageExtractionHandler } from './handler.js';

export const BUILTIN_PREFIX = 'builtin:';

const OPTIONS = ['out', 'max-image-size', 'allow-private-hosts', 'base-dir'];

/** True when `spec` names a built-in handler rather than a module path. */
export function isBuiltinSpec(spec: string): boolean {
  return spec.startsWith(BUILTIN_PREFIX);
}

/** The handler for a `builtin:<name>[?options]` spec; a ValidationError names what is wrong. */
export function builtinHandler(spec: string): JobHandler {
  const [name, query = ''] = spec.slice(BUILTIN_PREFIX.length).split('?', 2) as [string, string?];
  if (name !== 'extract-images') {
    throw new ValidationError(
      `--handler ${spec}: no built-in handler ${JSON.stringify(name)}; the built-in is builtin:extract-images`,
    );
  }
  const params = new URLSearchParams(query);
  const unknown = [...params.keys()].filter((key) => !OPTIONS.includes(key));
  if (unknown.length > 0) {
    throw new ValidationError(
      `--handler ${spec}: unknown option ${unknown.join(', ')}; known: ${OPTIONS.join(', ')}`,
    );
  }
  const allow = params.get('allow-private-hosts');
  const options: DefaultExtractorOptions = {
    outDir: params.get('out') ?? 'data/property_images',
    allowPrivateHosts: allow !== null && allow !== '0' && allow !== 'false',
  };
  const maxSize = params.get('max-image-size');
  // Parsed here so that a bad size names the spec's option, not the extractor's `maxImageSize`.
  if (maxSize !== null)
    options.maxImageSize = parseByteSize(maxSize, `max-image-size in --handler ${spec}`);
  const baseDir = params.get('base-dir');
  if (baseDir !== null) options.baseDir = baseDir;
  return createImageExtractionHandler(createDefaultExtractor(options));
}
