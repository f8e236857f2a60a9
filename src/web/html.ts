/**
 * Auto-escaping HTML templates as tagged template literals: every interpolated value is escaped unless it is itself
 * Html (made by this tag, or by `trusted` for the few constant fragments), so a person's name with `<script>` in it
 * is text on the page, whatever a page forgets. Arrays are joined; null, undefined and false print nothing. Chosen
 * over a template engine because the compiler checks every page's fields, and there are no template files to ship.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export const escapeHtml = (value: string): string => value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(value: Part): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return (value as readonly Part[]).map(render).join('');
  return escapeHtml(String(value as string | number | boolean));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** A constant fragment written in this repository (never data): emitted as is. */
export const trusted = (text: string): Html => new Html(text);
