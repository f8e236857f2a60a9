/** The Wiegand reader on the simulated GPIO: cards, keys, read errors, a flood, corrupted frames. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { DEFAULT_WIEGAND } from '../../src/core/wiegand.js';
import { encodeCard, encodeKey, toPulses } from '../../src/core/wiegand-encoder.js';
import type { HardwareStatus } from '../../src/drivers/door-hardware.js';
import { SimGpioPort } from '../../src/drivers/gpio/sim-port.js';
import { WiegandReader } from '../../src/drivers/wiegand/wiegand-reader.js';

afterEach(() => vi.useRealTimers());

function reader(maxFramesPerSecond = 50) {
  const port = new SimGpioPort();
  const r = new WiegandReader({ name: 'reader', d0: 5, d1: 6, activeLow: true, decoder: DEFAULT_WIEGAND, maxFramesPerSecond });
  r.attach(port);
  const got = { cards: [] as string[], keys: [] as string[], statuses: [] as HardwareStatus[] };
  r.onCard((c) => got.cards.push(c));
  r.onKey((k) => got.keys.push(k));
  r.onStatus((s) => got.statuses.push(s));
  /** Sends frames with pulse timestamps starting at `t0`, then ends the last one. */
  const send = (frames: number[][], t0: number, intervalMs = 1, frameGapMs = 40) => {
    const pulses = toPulses(frames, { startMs: t0, intervalMs, frameGapMs });
    for (const p of pulses) port.pulse(p.line === 0 ? 5 : 6, p.tMs);
    r.flushAt(pulses.at(-1)!.tMs + 25);
  };
  return { port, r, got, send };
}

describe('Wiegand reader', () => {
  it('decodes cards and keys from pulses on D0/D1 (active low, idling high)', () => {
    const { got, send, r } = reader();
    send([encodeCard('h10301', 12, 345), ...['5', '8', '#'].map((k) => encodeKey(k as '5', 4)), encodeKey('*', 8)], performance.now());
    expect(got.cards).toEqual(['786777']);
    expect(got.keys).toEqual(['5', '8', '#', '*']);
    r.close();
  });

  it('ends a frame on its own after the gap, from a timer', async () => {
    const { got, port, r } = reader();
    const pulses = toPulses([encodeCard('h10301', 1, 1)], { startMs: performance.now(), intervalMs: 0.01 });
    for (const p of pulses) port.pulse(p.line === 0 ? 5 : 6, p.tMs);
    expect(got.cards).toEqual([]);
    await new Promise((res) => setTimeout(res, 60));
    expect(got.cards).toEqual(['65537']);
    r.close();
  });

  it('reports read errors summed, never as cards: 1% of frames corrupted by one fault each', () => {
    const { got, send, r } = reader(1_000_000);
    let seed = 3;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const frames: number[][] = [];
    const expected: string[] = [];
    let corrupted = 0;
    for (let i = 0; i < 2000; i++) {
      const frame = encodeCard('h10301', i % 256, (i * 37) % 65536);
      if (i % 100 === 50) {
        corrupted++;
        const fault = corrupted % 3;
        if (fault === 0)
          frame[Math.floor(rand() * 26)]! ^= 1; // a flipped bit
        else if (fault === 1)
          frame.splice(Math.floor(rand() * 26), 1); // a lost bit
        else frame.splice(Math.floor(rand() * 26), 0, 1); // an extra pulse
        frames.push(frame);
      } else {
        frames.push(frame);
        expected.push(String((i % 256) * 65536 + ((i * 37) % 65536)));
      }
    }
    send(frames, performance.now() - 200_000, 1, 60);
    expect(got.cards).toEqual(expected);
    expect(r.stats).toEqual({ frames: 2000, cards: 1980, keys: 0, errors: corrupted, dropped: 0 });
    r.close(); // the last once-a-second summary goes out now
    const reported = got.statuses.filter((s) => s.type === 'read_error').reduce((n, s) => n + (s.type === 'read_error' ? s.count : 0), 0);
    expect(reported).toBe(corrupted);
    r.close();
  });

  it('survives a flood of 1,000 frames/s: max_frames_per_second get through, the rest are counted', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { got, send, r } = reader(50);
    const frames = Array.from({ length: 1000 }, (_, i) => encodeCard('h10301', 1, i));
    // 1,000 frames within one second of pulse time, delivered at one instant: a full bucket of 50 passes, no more.
    send(frames, performance.now(), 0.02, 0.5 + 25);
    expect(got.cards.length).toBeLessThanOrEqual(51);
    expect(got.cards.length).toBeGreaterThanOrEqual(50);
    expect(got.cards.slice(0, 3)).toEqual(['65536', '65537', '65538']); // the first ones, in order
    expect(r.stats.dropped).toBe(1000 - got.cards.length);
    vi.advanceTimersByTime(1100);
    const drops = got.statuses.filter((s) => s.type === 'read_error' && s.reason === 'rate_limited');
    expect(drops.reduce((n, s) => n + (s.type === 'read_error' ? s.count : 0), 0)).toBe(r.stats.dropped);
    r.close();
  });

  it('passes everything a person can do at the default rate limit: fast typing, then cards tapped again and again', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const limit = configSchema.parse({ doors: [{ id: 1, name: 'Front', hardware: { relay: { pin: 17 }, wiegand: { d0: 5, d1: 6 } } }] }).doors[0]!
      .hardware!.wiegand!.max_frames_per_second;
    const { got, send, r } = reader(limit);
    // A fast typist on an 8-bit keypad, 8 keys a second: three 8-digit PINs with # (27 frames in 3.4 s)...
    const typed = [...'58392017#74016385#11223344#'];
    for (const k of typed) {
      send([encodeKey(k as '5', 8)], performance.now());
      vi.advanceTimersByTime(125);
    }
    // ...then a card tapped twice a second for 5 s (someone whose card is refused, trying again).
    for (let i = 0; i < 10; i++) {
      send([encodeCard('h10301', 12, 345)], performance.now());
      vi.advanceTimersByTime(500);
    }
    expect(got.keys.join('')).toBe(typed.join(''));
    expect(got.cards).toEqual(Array<string>(10).fill('786777'));
    expect(r.stats.dropped).toBe(0);
    vi.advanceTimersByTime(1100);
    expect(got.statuses).toEqual([]);
    r.close();
  });
});
