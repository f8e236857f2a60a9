/**
 * Text from people (names, notes, labels) is shown in log lines, terminals and tables. A control character in it
 * can forge a journald line ("\n<3>..."), rewrite a terminal (ESC sequences) or reorder what is shown (bidi
 * overrides). Such text is refused at input; whatever still holds one (an older database) is escaped on output.
 */

// C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidi embedding/override/isolate marks.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The reason a piece of text is refused, or null; the same words for every field and every way in. */
export function controlCharProblem(value: string): string | null {
  return CONTROL.test(value) ? 'must not contain control characters (newlines, tabs, escape codes)' : null;
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The text with each control character written out (`\n`, `\x1b`, `\u202e`), so one line stays one line. */
export function escapeControl(value: string): string {
  if (!CONTROL.test(value)) return value;
  return value.replace(
    CONTROL_ALL,
    (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`),
  );
}
