/** The serial keypad driver over real PTY pairs made by socat. */
import { afterEach, describe, expect, it } from 'vitest';
import type { HardwareStatus } from '../../src/drivers/door-hardware.js';
import { SerialKeypad } from '../../src/drivers/serial/serial-keypad.js';
import { requireTool } from '../helpers/broker.js';
import { eventually } from '../helpers/daemon.js';
import { PtyPair } from '../helpers/pty.js';
import { scratchDir } from '../helpers/scratch.js';

const HAVE = requireTool('socat', 'serial');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function setup(protocol: 'keys' | 'line') {
  const d = scratchDir('keypadd-pty-');
  cleanups.push(d.remove);
  const pty = new PtyPair(d.dir);
  await pty.start();
  cleanups.push(() => pty.stop());
  const keypad = new SerialKeypad({
    name: 'door 1 serial keypad',
    path: pty.device,
    baudRate: 9600,
    protocol,
    cardPattern: /^C:(\d+)$/,
    maxLineLength: 16,
    maxBackoffMs: 400,
  });
  const keys: string[] = [];
  const cards: string[] = [];
  const statuses: HardwareStatus[] = [];
  keypad.onKey((k) => keys.push(k));
  keypad.onCard((c) => cards.push(c));
  keypad.onStatus((s) => statuses.push(s));
  keypad.start();
  cleanups.push(() => keypad.close());
  await eventually(
    () => keypad.online,
    (o) => o,
    5000,
  );
  return { pty, keypad, keys, cards, statuses };
}

describe.skipIf(!HAVE)('serial keypad over a PTY pair', () => {
  it('keys protocol: each 0-9 * # is a key; anything else is counted and dropped', async () => {
    const { pty, keypad, keys } = await setup('keys');
    pty.write(Buffer.from('12x3\r\n4#*\u0000\u00ff', 'latin1')); // raw bytes: x, NUL and 0xFF are garbage
    await eventually(
      () => keys.length,
      (n) => n >= 6,
    );
    expect(keys.join('')).toBe('1234#*');
    expect(keypad.stats.garbage).toBe(3);
  });

  it('line protocol: PINs and cards by pattern, CRLF and LF, garbage and over-long lines dropped', async () => {
    const { pty, keypad, keys, cards } = await setup('line');
    pty.write('583920\r\nC:0012345\n');
    pty.write('hello\n' + '9'.repeat(40) + '\n' + 'x'.repeat(500));
    pty.write('\n7401\n');
    await eventually(
      () => keys.join(''),
      (k) => k.endsWith('7401#'),
    );
    expect(keys.join('')).toBe('583920#7401#');
    expect(cards).toEqual(['12345']);
    expect(keypad.stats.garbage).toBe(1);
    expect(keypad.stats.overlong).toBeGreaterThanOrEqual(2);
  });

  it('reports the port going away, reopens with backoff, and reports it back', async () => {
    const { pty, keypad, keys, statuses } = await setup('keys');
    pty.write('1');
    await eventually(
      () => keys.length,
      (n) => n === 1,
    );
    await pty.stop();
    await eventually(
      () => statuses.map((s) => s.type),
      (t) => t.includes('reader_offline'),
    );
    expect(keypad.online).toBe(false);
    await new Promise((r) => setTimeout(r, 500)); // a reopen or two fails while it is gone
    await pty.start();
    await eventually(
      () => statuses.map((s) => s.type),
      (t) => t.includes('reader_online'),
      5000,
    );
    pty.write('2');
    await eventually(
      () => keys.join(''),
      (k) => k === '12',
    );
    expect(statuses.map((s) => s.type)).toEqual(['reader_offline', 'reader_online']);
    expect(keypad.stats.reconnects).toBe(1);
  });
});
