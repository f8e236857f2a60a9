/**
 * The other direction: cards and keys to Wiegand bits, and bits to timed pulses with a chosen pulse width, bit
 * interval and jitter. Used by tests, by `keypadd sim wiegand` / `sim card` on the simulated GPIO, and by benchmarks.
 */
import { CARD_FORMATS, type CardFormat } from './wiegand.js';
import type { Key } from './key-collector.js';

function bitsOf(value: bigint, width: number): number[] {
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Number((value >> BigInt(i)) & 1n));
  return out;
}

/** A card frame, parity included, from the number as DoorFlow stores it (facility and card packed). */
export function encodeCardNumber(format: CardFormat, number: bigint | string): number[] {
  const f = CARD_FORMATS[format];
  const value = BigInt(number);
  if (value < 0n || value >= 1n << BigInt(f.bits - 2)) throw new RangeError(`card number does not fit ${f.bits}-bit ${format}`);
  const payload = bitsOf(value, f.bits - 2);
  const frame = [0, ...payload, 0];
  const ones = (from: number, to: number) => frame.slice(from, to).reduce((a, b) => a + b, 0);
  frame[0] = ones(1, f.evenOver) % 2; // even parity over the first half
  frame[f.bits - 1] = (ones(f.bits - f.oddOver, f.bits - 1) + 1) % 2; // odd parity over the second half
  return frame;
}

export function encodeCard(format: CardFormat, facility: number, card: number): number[] {
  const f = CARD_FORMATS[format];
  const cardBits = f.bits - 2 - f.facilityBits;
  if (facility < 0 || facility >= 2 ** f.facilityBits || card < 0 || card >= 2 ** cardBits)
    throw new RangeError(`facility or card out of range for ${format}`);
  return encodeCardNumber(format, (BigInt(facility) << BigInt(cardBits)) | BigInt(card));
}

export function encodeKey(key: Key, mode: 4 | 8, map = { star: 10, hash: 11 }): number[] {
  const nibble = key === '*' ? map.star : key === '#' ? map.hash : Number(key);
  const value = mode === 4 ? nibble : ((~nibble & 0xf) << 4) | nibble;
  return bitsOf(BigInt(value), mode);
}

export interface PulseTiming {
  /** Start of the first pulse (ms). */
  startMs: number;
  /** From one pulse to the next within a frame (ms); readers use 1-2 ms, the spec allows 0.2-20. */
  intervalMs: number;
  /** Each interval varies by up to ±jitter (a fraction: 0.2 = ±20%). */
  jitter?: number;
  /** Silence between frames (ms); must exceed the decoder's gap. */
  frameGapMs?: number;
  /** Pulse width (ms), for drivers that model both edges; 0.05 (50 µs) by default. */
  pulseWidthMs?: number;
  random?: () => number;
}

export interface Pulse {
  line: 0 | 1;
  tMs: number;
  widthMs: number;
}

/** Pulses for one or more frames: D0 for 0 bits, D1 for 1 bits, timed as given. */
export function toPulses(frames: number[][], timing: PulseTiming): Pulse[] {
  const random = timing.random ?? Math.random;
  const jitter = timing.jitter ?? 0;
  const width = timing.pulseWidthMs ?? 0.05;
  const out: Pulse[] = [];
  let t = timing.startMs;
  frames.forEach((frame, i) => {
    if (i > 0) t += timing.frameGapMs ?? 100;
    frame.forEach((bit, j) => {
      if (j > 0) t += timing.intervalMs * (1 + jitter * (2 * random() - 1));
      out.push({ line: bit as 0 | 1, tMs: t, widthMs: width });
    });
  });
  return out;
}

/** Parses "0101..." into bits; null when it holds anything else. */
export function parseBitString(text: string): number[] | null {
  return /^[01]{1,64}$/.test(text) ? [...text].map(Number) : null;
}
