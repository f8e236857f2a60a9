import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WIEGAND, WiegandDecoder, decodeBits, type Frame } from '../../src/core/wiegand.js';
import { encodeCard, encodeCardNumber, encodeKey, toPulses, parseBitString } from '../../src/core/wiegand-encoder.js';

const bits = (s: string) => [...s].map(Number);

/** Feeds pulses through a decoder and collects every frame, flushing after the last. */
function decodeStream(frames: number[][], intervalMs: number, jitter = 0, opts = DEFAULT_WIEGAND, seed = 1): Frame[] {
  let s = seed;
  const random = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const pulses = toPulses(frames, { startMs: 1000, intervalMs, jitter, frameGapMs: Math.max(opts.gapMs * 2, 50), random });
  const d = new WiegandDecoder(opts);
  const out: Frame[] = [];
  for (const p of pulses) {
    const f = d.pulse(p.line, p.tMs);
    if (f) out.push(f);
  }
  const last = d.flush(pulses.at(-1)!.tMs + opts.gapMs);
  if (last) out.push(last);
  return out;
}

describe('Wiegand card formats (vectors computed independently of the encoder)', () => {
  it.each([
    ['10111101100010001110101110', 'h10301', 123, 4567, '8065495'],
    ['10000000100000000000000010', 'h10301', 1, 1, '65537'],
    ['00000000000000000000000001', 'h10301', 0, 0, '0'],
    ['01111111111111111111111111', 'h10301', 255, 65535, '16777215'],
    ['1000001001101001011011101110101010', 'h34', 1234, 56789, String(1234 * 65536 + 56789)],
    ['1000100001110000111110100001001000001', 'h10304', 4321, 500000, String(4321 * 2 ** 19 + 500000)],
  ])('%s decodes as %s facility %i card %i', (frame, format, facility, card, number) => {
    expect(decodeBits(bits(frame))).toMatchObject({ kind: 'card', format, facility, card, number });
    expect(encodeCard(format as 'h10301', facility, card).join('')).toBe(frame);
  });

  it('stores 26-bit cards as FC x 65536 + CN, the same number `card add --facility --card` stores', () => {
    expect(decodeBits(encodeCard('h10301', 12, 345))).toMatchObject({ number: '786777' });
  });

  it('rejects every single-bit flip of a valid 26-bit frame', () => {
    const good = encodeCard('h10301', 123, 4567);
    for (let i = 0; i < good.length; i++) {
      const bad = [...good];
      bad[i] = 1 - bad[i]!;
      expect(decodeBits(bad), `bit ${i}`).toMatchObject({ kind: 'error', reason: 'parity' });
    }
  });

  it('round-trips random cards of every format (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('h10301', 'h34', 'h10304'), fc.nat(), fc.nat(), (format, a, b) => {
        const [fb, cb] = format === 'h10301' ? [8, 16] : format === 'h34' ? [16, 16] : [16, 19];
        const facility = a % 2 ** fb;
        const card = b % 2 ** cb;
        expect(decodeBits(encodeCard(format, facility, card))).toMatchObject({ kind: 'card', format, facility, card });
      }),
      { numRuns: 2000 },
    );
  });

  it('never treats an unknown length as a card, unless it is listed as raw', () => {
    expect(decodeBits(bits('1'.repeat(35)))).toMatchObject({ kind: 'error', reason: 'unknown_length', bits: 35 });
    const raw = decodeBits(bits('1'.repeat(35)), { ...DEFAULT_WIEGAND, rawLengths: [35] });
    expect(raw).toMatchObject({ kind: 'card', format: 'raw', bits: 35, number: String(2 ** 35 - 1), hex: '7FFFFFFFF' });
    expect(decodeBits(encodeCardNumber('h34', 5n), { ...DEFAULT_WIEGAND, formats: ['h10301'] })).toMatchObject({
      kind: 'error',
      reason: 'unknown_length',
    });
  });
});

describe('Wiegand keypads', () => {
  it('decodes 4-bit keys with * = 10 and # = 11, remappable', () => {
    expect(decodeBits(bits('0111'))).toEqual({ kind: 'key', key: '7', bits: 4 });
    expect(decodeBits(bits('1010'))).toMatchObject({ key: '*' });
    expect(decodeBits(bits('1011'))).toMatchObject({ key: '#' });
    const swapped = { ...DEFAULT_WIEGAND, starValue: 11, hashValue: 10 };
    expect(decodeBits(bits('1010'), swapped)).toMatchObject({ key: '#' });
    expect(decodeBits(bits('1100'))).toMatchObject({ kind: 'error', reason: 'bad_key' });
  });

  it('decodes 8-bit keys and checks the complement', () => {
    expect(encodeKey('1', 8).join('')).toBe('11100001'); // 0xE1, as reader manuals show it
    expect(decodeBits(bits('11100001'))).toEqual({ kind: 'key', key: '1', bits: 8 });
    expect(decodeBits(bits('11110001'))).toMatchObject({ kind: 'error', reason: 'bad_complement' });
    for (const k of ['0', '5', '9', '*', '#'] as const) expect(decodeBits(encodeKey(k, 8))).toMatchObject({ kind: 'key', key: k });
  });

  it('keeps key bursts typed at human speed apart', () => {
    const keys = ['1', '2', '3', '4', '#'] as const;
    // 4-bit keys 150 ms apart, the fastest human typing: the gap is far longer than 25 ms.
    const pulses = toPulses(
      keys.map((k) => encodeKey(k, 4)),
      { startMs: 0, intervalMs: 2, frameGapMs: 150 },
    );
    const d = new WiegandDecoder();
    const out = pulses.map((p) => d.pulse(p.line, p.tMs)).filter(Boolean);
    out.push(d.flush(1e9));
    expect(out.map((f) => (f as { key: string }).key)).toEqual([...keys]);
  });
});

describe('Wiegand timing', () => {
  it.each([0.2, 0.5, 1, 2, 5, 10, 20])('decodes frames with a %s ms bit interval and ±20%% jitter', (intervalMs) => {
    // The gap must exceed the slowest bit interval with jitter: 25 ms for the spec's 20 ms.
    const frames = Array.from({ length: 20 }, (_, i) => encodeCard('h10301', i * 7, i * 3001));
    const out = decodeStream(frames, intervalMs, 0.2, DEFAULT_WIEGAND, intervalMs * 1000);
    expect(out.map((f) => (f.kind === 'card' ? [f.facility, f.card] : f.kind))).toEqual(frames.map((_, i) => [i * 7, i * 3001]));
  });

  it('reports a lost bit or an extra pulse as a read error, not as another card', () => {
    const good = encodeCard('h10301', 99, 1234);
    expect(decodeBits(good.slice(1))).toMatchObject({ kind: 'error' });
    expect(decodeBits([...good, 1])).toMatchObject({ kind: 'error' });
  });

  it('ends an over-long burst as an error', () => {
    const d = new WiegandDecoder();
    let f: Frame | null = null;
    for (let i = 0; i < 65 && !f; i++) f = d.pulse(1, i);
    expect(f).toMatchObject({ kind: 'error', reason: 'too_long' });
  });

  it('parses bit strings for `keypadd sim wiegand`', () => {
    expect(parseBitString('0101')).toEqual([0, 1, 0, 1]);
    expect(parseBitString('01x1')).toBeNull();
  });
});
