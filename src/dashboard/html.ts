/**
 * The one HTML escaper of the dashboard. Every page is built with the `html` tagged template:
 * interpolated values are escaped unless they are themselves `html` results, so job data
 * (payloads, keys that are street addresses, error messages, queue names) can only ever land
 * as text. There is no other way to put a string into a page.
 */

/** Markup that is already safe: produced by `html` (or by `unsafeRaw` for our own constants). */
export class SafeHtml {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an element body or a double- or single-quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => ESCAPES[char]!);
}

export type HtmlValue =
  SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * `html\`<td>${job.key}</td>\`` escapes `job.key`. Arrays are joined; null, undefined and false
 * render nothing (so `${cond && html\`...\`}` works). Attribute values must be quoted in the template.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** For our own constant markup only (never data): makes a string count as safe. */
export function unsafeRaw(text: string): SafeHtml {
  return new SafeHtml(text);
}
