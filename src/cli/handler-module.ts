/**
 * Loads the module named by `work --handler`: its default export is the job handler.
 * `.js`/`.mjs`/`.cjs` load with Node's own import; `.ts`/`.mts`/`.cts` through tsx's ESM API, so a
 * TypeScript handler runs without a build step.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobHandler } from '../types.js';
import { UsageError } from './errors.js';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

/** A handler module that exists but cannot be loaded (it throws, or has a syntax error): exit 1. */
export class HandlerLoadError extends Error {
  override name = 'HandlerLoadError';
}

export async function loadHandler(spec: string, cwd = process.cwd()): Promise<JobHandler> {
  if (spec.startsWith('builtin:')) return loadBuiltin(spec);
  const path = resolve(cwd, spec);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(
      `--handler: no file at ${path}; give the path of a .js, .mjs or .ts module whose default export is the handler`,
    );
  }
  const url = pathToFileURL(path).href;
  let module: Record<string, unknown>;
  try {
    if (TYPESCRIPT.has(extname(path))) {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    } else {
      module = (await import(url)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new HandlerLoadError(`--handler ${spec} failed to load: ${(error as Error).message}`);
  }
  let handler = module.default;
  // A CommonJS module compiled from `export default` arrives as { default: { default: fn } }.
  if (
    handler !== null &&
    typeof handler === 'object' &&
    typeof (handler as { default?: unknown }).default === 'function'
  ) {
    handler = (handler as { default: unknown }).default;
  }
  if (typeof handler !== 'function') {
    const exported = Object.keys(module).filter((name) => name !== 'default');
    const found = exported.length > 0 ? ` (it exports ${exported.join(', ')})` : '';
    throw new UsageError(
      `--handler ${spec} has no default export function${found}; write \`export default async (job, ctx) => { ... }\``,
    );
  }
  return handler as JobHandler;
}

/** `builtin:extract-images[?options]`: a handler that ships with holdfast (see integrations/images/builtin.ts). */
async function loadBuiltin(spec: string): Promise<JobHandler> {
  const { builtinHandler } = await import('../integrations/images/builtin.js');
  try {
    return builtinHandler(spec);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
