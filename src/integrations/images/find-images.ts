/**
 * Finds the image URLs of a listing page: per `img` one best candidate (lazy `data-srcset` or
 * `data-src` before `srcset` before `src`, since lazy pages put a placeholder in `src`), the
 * largest `srcset` candidate, `og:image`, and JSON-LD `image` (a string, an array, or an
 * ImageObject with `url`/`contentUrl`, anywhere in the document, `@graph` included).
 * Relative URLs resolve against `<base href>` or the page; `data:` and other non-fetchable
 * schemes are dropped.
 */
import { Parser } from 'htmlparser2';

const LAZY_SRC = ['data-src', 'data-lazy-src', 'data-original', 'data-lazy'];
const OG_IMAGE = new Set(['og:image', 'og:image:url', 'og:image:secure_url']);
const FETCHABLE = new Set(['http:', 'https:', 'file:']);

/** Absolute image URLs in document order, each once. */
export function findImageUrls(html: string, pageUrl: string): string[] {
  const raw: string[] = [];
  let base = pageUrl;
  let baseSeen = false;
  let jsonLd: string | null = null;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'base' && !baseSeen && attrs.href) {
          baseSeen = true;
          const resolved = tryUrl(attrs.href, pageUrl);
          if (resolved) base = resolved.href;
        } else if (name === 'img') {
          const candidate = bestImgCandidate(attrs);
          if (candidate) raw.push(candidate);
        } else if (name === 'meta') {
          const key = (attrs.property ?? attrs.name ?? '').toLowerCase();
          if (OG_IMAGE.has(key) && attrs.content) raw.push(attrs.content);
        } else if (
          name === 'script' &&
          (attrs.type ?? '').toLowerCase().trim() === 'application/ld+json'
        ) {
          jsonLd = '';
        }
      },
      ontext(text) {
        if (jsonLd !== null) jsonLd += text;
      },
      onclosetag(name) {
        if (name === 'script' && jsonLd !== null) {
          raw.push(...jsonLdImages(jsonLd));
          jsonLd = null;
        }
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();

  const seen = new Set<string>();
  const urls: string[] = [];
  for (const candidate of raw) {
    const url = tryUrl(candidate.trim(), base);
    if (!url || !FETCHABLE.has(url.protocol)) continue;
    url.hash = '';
    if (seen.has(url.href)) continue;
    seen.add(url.href);
    urls.push(url.href);
  }
  return urls;
}

function bestImgCandidate(attrs: Record<string, string>): string | null {
  const options = [
    largestSrcsetCandidate(attrs['data-srcset'] ?? ''),
    ...LAZY_SRC.map((name) => attrs[name]),
    largestSrcsetCandidate(attrs.srcset ?? ''),
    attrs.src,
  ];
  for (const option of options) {
    const value = option?.trim();
    if (value && !/^data:/i.test(value)) return value;
  }
  return null;
}

/**
 * The candidate with the largest width (`800w`) or density (`2x`) descriptor; a candidate
 * without one counts as 1x. Candidates of a data: URL are ignored.
 */
export function largestSrcsetCandidate(srcset: string): string | null {
  let best: string | null = null;
  let bestScore = -1;
  // The HTML spec's shape: a URL is a run of non-space characters (trailing commas end the
  // candidate); its descriptors run to the next comma.
  let at = 0;
  while (at < srcset.length) {
    while (at < srcset.length && /[\s,]/.test(srcset[at]!)) at++;
    const urlStart = at;
    while (at < srcset.length && !/\s/.test(srcset[at]!)) at++;
    let url = srcset.slice(urlStart, at);
    let descriptor = '';
    if (url.endsWith(',')) url = url.replace(/,+$/, '');
    else {
      const end = srcset.indexOf(',', at);
      descriptor = srcset
        .slice(at, end === -1 ? srcset.length : end)
        .trim()
        .toLowerCase();
      at = end === -1 ? srcset.length : end + 1;
    }
    if (!url || /^data:/i.test(url)) continue;
    const number = Number.parseFloat(descriptor);
    // Widths and densities are compared as is: within one srcset they are all of one kind.
    const score = descriptor && Number.isFinite(number) ? number : 1;
    if (score > bestScore) {
      best = url;
      bestScore = score;
    }
  }
  return best;
}

/** Every `image` value in a JSON-LD block; unreadable JSON yields nothing. */
function jsonLdImages(text: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  const found: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 20 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const record = node as Record<string, unknown>;
    if ('image' in record) collectImageValue(record.image, found);
    for (const [key, value] of Object.entries(record)) if (key !== 'image') visit(value, depth + 1);
  };
  visit(data, 0);
  return found;
}

function collectImageValue(value: unknown, found: string[]): void {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const item of value) collectImageValue(item, found);
  else if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const url = typeof object.contentUrl === 'string' ? object.contentUrl : object.url;
    if (typeof url === 'string') found.push(url);
  }
}

function tryUrl(value: string, base: string): URL | null {
  try {
    return new URL(value, base);
  } catch {
    return null;
  }
}
