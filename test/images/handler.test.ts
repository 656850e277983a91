import { describe, expect, it } from 'vitest';
import { PermanentError, RetryAfter } from '../../src/errors.js';
import { createImageExtractionHandler } from '../../src/integrations/images/handler.js';
import { permanent, transient } from '../../src/integrations/images/source-error.js';
import type {
  ExtractionResult,
  ImageExtractor,
  Property,
} from '../../src/integrations/images/types.js';
import type { JobContext, JobInfo } from '../../src/types.js';

const result: ExtractionResult = {
  address: 'a',
  slug: 'a-1',
  folder: '/x',
  images: [],
  failedSources: [],
  saved: 0,
  duplicates: 0,
  skipped: 0,
};

function job(payload: unknown): JobInfo<Property> {
  return {
    id: '1',
    queue: 'images',
    key: 'a',
    payload: payload as Property,
    attempt: 1,
    maxAttempts: 5,
    batchId: null,
    priority: 0,
    createdAt: new Date(),
  };
}

function context(
  progress: Array<[number, number, string | undefined]> = [],
  signal = new AbortController().signal,
): JobContext {
  const logger = { info() {}, warn() {}, error() {} };
  return { signal, progress: (c, t, m) => progress.push([c, t, m]), logger, workerId: 'w' };
}

const failing = (error: unknown): ImageExtractor => ({
  extract: async () => Promise.reject(error),
});

describe('createImageExtractionHandler', () => {
  it('passes the property and progress through and returns the result', async () => {
    const seen: unknown[] = [];
    const handler = createImageExtractionHandler({
      async extract(property, ctx) {
        seen.push(property);
        ctx.progress(1, 2, 'half');
        return result;
      },
    });
    const progress: Array<[number, number, string | undefined]> = [];
    const payload = { address: 'a', sources: ['s'], beds: '3' };
    await expect(handler(job(payload), context(progress))).resolves.toBe(result);
    expect(seen).toEqual([payload]);
    expect(progress).toEqual([[1, 2, 'half']]);
  });

  it('turns errors into what the worker needs', async () => {
    const run = (error: unknown) =>
      Promise.resolve(
        createImageExtractionHandler(failing(error))(job({ address: 'a', sources: [] }), context()),
      );
    await expect(run(permanent('HTTP 404'))).rejects.toBeInstanceOf(PermanentError);
    const later = await run(transient('HTTP 429', 7000)).catch((e: unknown) => e);
    expect(later).toBeInstanceOf(RetryAfter);
    expect((later as RetryAfter).delayMs).toBe(7000);
    const plain = await run(transient('ECONNRESET')).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(Error);
    expect(plain).not.toBeInstanceOf(PermanentError);
    expect(plain).not.toBeInstanceOf(RetryAfter);
    expect((plain as Error).message).toBe('ECONNRESET');
    const own = new Error('my extractor broke');
    await expect(run(own)).rejects.toBe(own);
    const custom = createImageExtractionHandler(failing(own), { isPermanent: (e) => e === own });
    await expect(custom(job({ address: 'a', sources: [] }), context())).rejects.toBeInstanceOf(
      PermanentError,
    );
  });

  it('rethrows an abort untouched and fails a malformed payload permanently', async () => {
    const controller = new AbortController();
    const reason = new Error('shutdown');
    controller.abort(reason);
    const handler = createImageExtractionHandler({
      extract: async (_p, ctx) => Promise.reject(ctx.signal.reason),
    });
    await expect(
      handler(job({ address: 'a', sources: [] }), context([], controller.signal)),
    ).rejects.toBe(reason);
    await expect(handler(job({ sources: [] }), context())).rejects.toThrow(PermanentError);
    await expect(handler(job({ address: 'a', sources: 'x' }), context())).rejects.toThrow(
      /`sources` of "a" to be an array of strings/,
    );
  });
});

describe('builtin:extract-images', () => {
  it('names the spec option when max-image-size is not a size', async () => {
    const { builtinHandler } = await import('../../src/integrations/images/builtin.js');
    expect(() => builtinHandler('builtin:extract-images?max-image-size=huge')).toThrow(
      /^Expected max-image-size in --handler builtin:extract-images\?max-image-size=huge to be a size like/,
    );
  });
});
