/**
 * Wiegand frame decoding, pure: fed (line, time) pulses, it returns frames. D0 pulses are 0 bits, D1 pulses are 1
 * bits; a frame ends after a silence of `gapMs` (the spec allows 20 ms between bits, so the default is 25 ms).
 * Cards: 26-bit H10301, 34-bit, 37-bit H10304 with parity; other lengths only when listed as raw. Keys: 4-bit
 * (`*` = 10, `#` = 11 unless remapped) and 8-bit (nibble + complement). Anything else is a read error, never a card.
 */
import type { Key } from './key-collector.js';

export type CardFormat = 'h10301' | 'h34' | 'h10304';

interface FormatSpec {
  bits: number;
  /** Bits covered by the leading even parity bit (itself included) and by the trailing odd one. */
  evenOver: number;
  oddOver: number;
  facilityBits: number;
}

export const CARD_FORMATS: Record<CardFormat, FormatSpec> = {
  h10301: { bits: 26, evenOver: 13, oddOver: 13, facilityBits: 8 },
  h34: { bits: 34, evenOver: 17, oddOver: 17, facilityBits: 16 },
  h10304: { bits: 37, evenOver: 19, oddOver: 19, facilityBits: 16 },
};

export interface WiegandOptions {
  gapMs: number;
  formats: CardFormat[];
  /** Other frame lengths accepted as raw cards (number = all bits as one integer). */
  rawLengths: number[];
  /** The 4-bit values of `*` and `#` (10 and 11; some readers swap them). */
  starValue: number;
  hashValue: number;
}

export const DEFAULT_WIEGAND: WiegandOptions = { gapMs: 25, formats: ['h10301', 'h34', 'h10304'], rawLengths: [], starValue: 10, hashValue: 11 };

export type Frame =
  | { kind: 'card'; format: CardFormat | 'raw'; bits: number; number: string; facility: number | null; card: number | null; hex: string }
  | { kind: 'key'; key: Key; bits: 4 | 8 }
  | { kind: 'error'; reason: 'parity' | 'unknown_length' | 'bad_key' | 'bad_complement' | 'too_long'; bits: number; hex: string };

const MAX_BITS = 64;

export class WiegandDecoder {
  private bits: number[] = [];
  private last = -Infinity;

  constructor(private readonly opts: WiegandOptions = DEFAULT_WIEGAND) {}

  /** A pulse on D0 (0) or D1 (1) at `tMs`. Returns the previous frame when this pulse starts a new one. */
  pulse(line: 0 | 1, tMs: number): Frame | null {
    const done = this.flush(tMs);
    this.bits.push(line);
    this.last = tMs;
    if (this.bits.length > MAX_BITS) {
      const n = this.bits.length;
      this.bits = [];
      return { kind: 'error', reason: 'too_long', bits: n, hex: '' };
    }
    return done;
  }

  /** Ends the pending frame if the line has been quiet for the gap; call from a timer at `deadline`. */
  flush(nowMs: number): Frame | null {
    if (this.bits.length === 0 || nowMs - this.last < this.opts.gapMs) return null;
    const bits = this.bits;
    this.bits = [];
    return decodeBits(bits, this.opts);
  }

  /** When the pending frame ends if no pulse comes, or null. */
  get deadline(): number | null {
    return this.bits.length > 0 ? this.last + this.opts.gapMs : null;
  }
}

function toBigInt(bits: readonly number[]): bigint {
  let v = 0n;
  for (const b of bits) v = (v << 1n) | BigInt(b);
  return v;
}

const hexOf = (bits: readonly number[]) => (bits.length === 0 ? '' : toBigInt(bits).toString(16).toUpperCase());
const ones = (bits: readonly number[]) => bits.reduce((n, b) => n + b, 0);

export function decodeBits(bits: readonly number[], opts: WiegandOptions = DEFAULT_WIEGAND): Frame {
  const n = bits.length;
  const hex = hexOf(bits);
  if (n === 4 || n === 8) return decodeKey(bits, opts, hex);
  for (const name of opts.formats) {
    const f = CARD_FORMATS[name];
    if (f.bits !== n) continue;
    const evenOk = ones(bits.slice(0, f.evenOver)) % 2 === 0;
    const oddOk = ones(bits.slice(n - f.oddOver)) % 2 === 1;
    if (!evenOk || !oddOk) return { kind: 'error', reason: 'parity', bits: n, hex };
    const payload = bits.slice(1, n - 1);
    return {
      kind: 'card',
      format: name,
      bits: n,
      number: toBigInt(payload).toString(),
      facility: Number(toBigInt(payload.slice(0, f.facilityBits))),
      card: Number(toBigInt(payload.slice(f.facilityBits))),
      hex,
    };
  }
  if (opts.rawLengths.includes(n))
    return { kind: 'card', format: 'raw', bits: n, number: toBigInt(bits).toString(), facility: null, card: null, hex };
  return { kind: 'error', reason: 'unknown_length', bits: n, hex };
}

function decodeKey(bits: readonly number[], opts: WiegandOptions, hex: string): Frame {
  const v = Number(toBigInt(bits));
  let nibble = v;
  if (bits.length === 8) {
    nibble = v & 0xf;
    if (v >> 4 !== (~nibble & 0xf)) return { kind: 'error', reason: 'bad_complement', bits: 8, hex };
  }
  const key: Key | null = nibble <= 9 ? (String(nibble) as Key) : nibble === opts.starValue ? '*' : nibble === opts.hashValue ? '#' : null;
  if (key === null) return { kind: 'error', reason: 'bad_key', bits: bits.length, hex };
  return { kind: 'key', key, bits: bits.length as 4 | 8 };
}
