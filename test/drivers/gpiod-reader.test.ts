/**
 * The gpiod backend of the Wiegand reader against the fake gpiomon (test/fixtures/fake-gpiomon.mjs), which prints
 * libgpiod 1.6's lines with kernel-style monotonic timestamps: frames live and late, a stalled main thread, garbage,
 * and a gpiomon that dies.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_WIEGAND } from '../../src/core/wiegand.js';
import type { HardwareStatus } from '../../src/drivers/door-hardware.js';
import { parseGpiomonLine } from '../../src/drivers/gpio/gpiomon.js';
import { GpiodWiegandReader } from '../../src/drivers/wiegand/gpiod-wiegand.js';
import { eventually } from '../helpers/daemon.js';
import { FAKE_GPIOMON, cardBits, fakeGpiomonPlan, type FakeGpiomonStep } from '../helpers/fake-gpiomon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
let dir: string;
beforeEach(() => {
  const scratch = scratchDir('keypadd-gpiod-');
  dir = scratch.dir;
  cleanups.push(scratch.remove);
});
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const CARD_26 = cardBits('h10301', 786777); // facility 12, card 345
const CARD_34 = cardBits('h34', 65540242); // facility 1000, card 4242

function reader(runs: FakeGpiomonStep[][], overrides: { gpiomonPath?: string } = {}) {
  const plan = fakeGpiomonPlan(dir, runs);
  process.env.FAKE_GPIOMON_PLAN = plan.file;
  const r = new GpiodWiegandReader({
    name: 'door 1 Wiegand reader',
    d0: 5,
    d1: 6,
    activeLow: true,
    decoder: DEFAULT_WIEGAND,
    maxFramesPerSecond: 50,
    chip: 'gpiochip0',
    gpiomonPath: overrides.gpiomonPath ?? FAKE_GPIOMON,
    firstRestartMs: 50,
    healthyAfterMs: 300,
  });
  cleanups.unshift(() => r.close());
  const got = { cards: [] as string[], statuses: [] as HardwareStatus[] };
  r.onCard((c) => got.cards.push(c));
  r.onStatus((s) => got.statuses.push(s));
  return { r, got, plan };
}

describe('gpiomon output', () => {
  it('parses "<offset> <edge> <seconds> <nanoseconds>" into ms, with or without padded nanoseconds', () => {
    expect(parseGpiomonLine('5 0 1234 5000000')).toEqual({ offset: 5, rising: false, tMs: 1234005 });
    expect(parseGpiomonLine('6 1 1234 005000000\n')).toEqual({ offset: 6, rising: true, tMs: 1234005 });
    expect(parseGpiomonLine('event:  FALLING EDGE offset: 5 timestamp: [    1234.005000000]')).toEqual({
      error: 'expected 4 fields (offset, edge, seconds, nanoseconds), got 8',
    });
    expect(parseGpiomonLine('5 2 1 1')).toEqual({ error: 'edge is not 0 (falling) or 1 (rising)' });
    expect(parseGpiomonLine('5 0 1 1000000000')).toEqual({ error: 'nanoseconds is not a number below 10^9' });
    expect(parseGpiomonLine('x 0 1 1')).toEqual({ error: 'offset is not a line number' });
  });
});

describe('gpiod Wiegand reader (fake gpiomon)', () => {
  it('starts gpiomon line-buffered, with the format, falling edges, the chip and D0 D1, and decodes 26- and 34-bit cards', async () => {
    const { got, plan } = reader([[{ frames: [CARD_26, CARD_34], bitMs: 2, gapMs: 60 }]]);
    await eventually(
      () => got.cards,
      (c) => c.length === 2,
    );
    expect(got.cards).toEqual(['786777', '65540242']);
    expect(plan.starts()).toEqual([['-b', '-F', '%o %e %s %n', '-f', 'gpiochip0', '5', '6']]);
    expect(got.statuses).toEqual([]);
  });

  it('decodes a burst of two frames printed at once 50 ms late by their kernel times, as two cards', async () => {
    // 30 ms between the frames: more than the 25 ms gap in kernel time, no gap at all in arrival time.
    const { got, r } = reader([[{ frames: [CARD_26, CARD_34, CARD_26], bitMs: 1, gapMs: 30, lateMs: 50 }]]);
    await eventually(
      () => got.cards,
      (c) => c.length === 3,
    );
    expect(got.cards).toEqual(['786777', '65540242', '786777']);
    expect(r.stats).toMatchObject({ frames: 3, cards: 3, errors: 0 });
  });

  it('loses no bit when the main thread stalls mid-frame: the frame end waits for what gpiomon already printed', async () => {
    const { got, r } = reader([[{ sleep: 100 }, { frames: [CARD_26, CARD_34], bitMs: 2, gapMs: 30 }]]);
    while (r.gpiomon.stats.edges < 5) await new Promise((res) => setImmediate(res));
    // A 150 ms stall: the frame-end timer is overdue when it ends, and timers run before the pipe is read.
    const until = performance.now() + 150;
    while (performance.now() < until);
    await eventually(
      () => got.cards,
      (c) => c.length === 2,
    );
    expect(got.cards).toEqual(['786777', '65540242']);
    expect(r.stats).toMatchObject({ frames: 2, errors: 0 });
  });

  it('counts and reports lines that do not parse, never echoing them, and still decodes the card after them', async () => {
    const { got, r } = reader([
      [
        { print: 'hello' },
        { print: '5 0 12' },
        { print: '9 0 1 2' },
        { print: '5 0 1 2' },
        { print: '5 0 1 3' },
        { frames: [CARD_26], bitMs: 1, gapMs: 60 },
      ],
    ]);
    await eventually(
      () => got.cards,
      (c) => c.length === 1,
    );
    expect(got.cards).toEqual(['786777']);
    expect(r.gpiomon.stats.unparsed).toBe(3);
    // Reports are summed per reason, at most once a second: the last reason comes with the next report.
    await eventually(
      () => got.statuses,
      (s) => s.length === 4,
    );
    expect(got.statuses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'read_error',
          reason: 'unparsed gpiomon line: expected 4 fields (offset, edge, seconds, nanoseconds), got 1',
        }),
        expect.objectContaining({
          type: 'read_error',
          reason: 'unparsed gpiomon line: expected 4 fields (offset, edge, seconds, nanoseconds), got 3',
        }),
        expect.objectContaining({ type: 'read_error', reason: 'unparsed gpiomon line: offset 9 is not watched', count: 1 }),
        expect.objectContaining({ type: 'read_error', reason: 'unknown_length', bits: 2 }),
      ]),
    );
    expect(JSON.stringify(got.statuses)).not.toContain('hello');
    // The two stray edges long before the card (at 1 s of uptime) are one 2-bit frame, a read error, not part of the card.
    expect(r.stats).toMatchObject({ cards: 1, errors: 1 });
  });

  it('reports the reader offline with gpiomon’s reason when it dies, restarts it, and is online again', async () => {
    const { got, plan, r } = reader([
      [{ frames: [CARD_26], bitMs: 1 }, { sleep: 50 }, { exit: 1, stderr: 'gpiomon: error waiting for events: Device or resource busy' }],
      [{ frames: [CARD_34], bitMs: 1 }],
    ]);
    await eventually(
      () => got.statuses.map((s) => s.type),
      (t) => t.includes('reader_online'),
    );
    await eventually(
      () => got.cards,
      (c) => c.length === 2,
    );
    expect(got.cards).toEqual(['786777', '65540242']);
    expect(got.statuses).toEqual([
      {
        type: 'reader_offline',
        source: 'door 1 Wiegand reader',
        reason: 'gpiomon exited (status 1): gpiomon: error waiting for events: Device or resource busy',
      },
      { type: 'reader_online', source: 'door 1 Wiegand reader' },
    ]);
    expect(plan.starts()).toHaveLength(2);
    expect(r.gpiomon.stats.exits).toBe(1);
  });

  it('reports a gpiomon that is not installed as offline, keeps retrying, and does not throw', async () => {
    const { got, r } = reader([[]], { gpiomonPath: `${dir}/no-such-gpiomon` });
    await eventually(
      () => r.gpiomon.stats.exits,
      (n) => n >= 2,
    );
    expect(got.statuses).toEqual([{ type: 'reader_offline', source: 'door 1 Wiegand reader', reason: expect.stringContaining('ENOENT') }]);
  });

  it('kills gpiomon on close and does not restart it', async () => {
    const { r, plan } = reader([[]]);
    await eventually(
      () => plan.starts(),
      (s) => s.length === 1,
    );
    const pid = r.gpiomon.pid!;
    expect(() => process.kill(pid, 0)).not.toThrow();
    r.close();
    await eventually(
      () => {
        try {
          process.kill(pid, 0);
          return 'alive';
        } catch {
          return 'gone';
        }
      },
      (s) => s === 'gone',
    );
    await new Promise((res) => setTimeout(res, 200));
    expect(plan.starts()).toHaveLength(1);
  });
});
