/** Output for people and for scripts: --json prints the resource as the DoorFlow API would return it. */
import { escapeControl } from '../core/text.js';
import type { Session } from './session.js';

export function print(session: Session, json: unknown, human: () => string): void {
  process.stdout.write((session.json ? JSON.stringify(json, null, 2) : human()) + '\n');
}

export function warn(messages: readonly string[]): void {
  for (const m of messages) process.stderr.write(`warning: ${escapeControl(m)}\n`);
}

/** Text from the database for a terminal: control characters written out, never sent raw (ESC sequences). */
export const shown = (text: string | null | undefined): string => (text === null || text === undefined ? '-' : escapeControl(text));

/** A plain aligned table; empty lists say so instead of printing a bare header. */
export function table(headers: string[], rows: (string | number | null)[][], empty: string): string {
  if (rows.length === 0) return empty;
  // Cells are written out: a name holding ESC or a newline must not redraw the terminal or break the table.
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : escapeControl(String(c)))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export const yesNo = (b: boolean) => (b ? 'yes' : 'no');
