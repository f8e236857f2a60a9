/**
 * The most commonly chosen PINs, loaded from common-pins.txt (a data file, one PIN a line, `#` comments).
 * The file sits beside the sources and is read relative to this module, so the compiled copy in dist/ finds it too.
 */
import { readFileSync } from 'node:fs';

const file = new URL('../../src/core/common-pins.txt', import.meta.url);

export function parsePinList(text: string): Set<string> {
  const pins = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line !== '') pins.add(line);
  }
  return pins;
}

export const COMMON_PINS: ReadonlySet<string> = parsePinList(readFileSync(file, 'utf8'));
