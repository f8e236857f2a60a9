/**
 * `keypadd test` on the real GPIO path: GpioDoorHardware over the onoff adapter, with onoff replaced by the fake
 * kernel, on a Pi 4 (6.6 kernel, base 512) sysfs tree. The levels asserted are the kernel's, not what was meant.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, type DoorConfig } from '../../src/config/schema.js';
import { encodeCardNumber } from '../../src/core/wiegand-encoder.js';
import { GpioDoorHardware, claimRelay } from '../../src/drivers/gpio-door.js';
import { OnoffPort } from '../../src/drivers/gpio/onoff-port.js';
import { pulseOutput, watchInputs } from '../../src/ops/wiring-test.js';
import { eventually } from '../helpers/daemon.js';
import { FakeKernel } from '../helpers/fake-onoff.js';
import { scratchDir } from '../helpers/scratch.js';
import { PI_MODELS, writeSysfs } from '../helpers/sysfs.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const BASE = 512;
const HARDWARE = {
  relay: { pin: 17 },
  led: { pin: 27 },
  contact: { pin: 23 },
  rex: { pin: 24, active_low: true },
  tamper: { pin: 25 },
  wiegand: { d0: 5, d1: 6 },
};

function wiredDoor(door: Record<string, unknown> = {}) {
  const d = scratchDir('keypadd-wiring-');
  cleanups.push(d.remove);
  const kernel = new FakeKernel(Array.from({ length: 58 }, (_, i) => BASE + i));
  const port = new OnoffPort(kernel.gpioClass(), writeSysfs(d.dir, PI_MODELS['pi4-kernel6.6']!), null);
  const config = configSchema.parse({ site: { time_zone: 'UTC' }, doors: [{ id: 1, name: 'Front Door', hardware: HARDWARE, ...door }] });
  const doorConfig: DoorConfig = config.doors[0]!;
  const hw = new GpioDoorHardware(port, doorConfig, doorConfig.hardware!, claimRelay(port, doorConfig));
  cleanups.push(() => (hw.close(), port.close()));
  const lines: string[] = [];
  const aborter = new AbortController();
  const options = { door: doorConfig, hw, tamper: hw.tamper, pulseMs: 300, report: (l: string) => lines.push(l), signal: aborter.signal };
  return { kernel, hw, lines, aborter, options, relay: () => kernel.physical(BASE + 17) };
}

describe('keypadd test on GPIO', () => {
  it('pulses a fail-secure relay: energised only for the pulse, de-energised (locked) at the end', async () => {
    const door = wiredDoor();
    const levels: number[] = [];
    const sample = setInterval(() => levels.push(door.relay()), 20);
    expect(await pulseOutput('relay', door.options)).toBe('done');
    clearInterval(sample);
    expect(door.relay()).toBe(0);
    expect(levels).toContain(1);
    expect(door.lines).toEqual(['relay: locked (de-energised)', 'relay: UNLOCKED (energised) for 300 ms', 'relay: locked (de-energised)']);
  });

  it('keeps a fail-safe maglock energised (locked) except during the pulse, and locks at once on abort', async () => {
    const door = wiredDoor({ fail_safe: true });
    // Claiming the line drives it inactive (de-energised: a maglock open); the test locks it before anything else.
    const pulse = pulseOutput('relay', { ...door.options, pulseMs: 10_000 });
    expect(door.lines[0]).toBe('relay: locked (energised)');
    expect(door.relay()).toBe(0); // unlocked for the pulse
    const started = performance.now();
    door.aborter.abort();
    expect(await pulse).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(door.relay()).toBe(1);
    expect(door.lines).toEqual(['relay: locked (energised)', 'relay: UNLOCKED (de-energised) for 10000 ms', 'relay: locked (energised)']);
  });

  it('locks the relay when an error ends the pulse, and passes the error on', async () => {
    const door = wiredDoor();
    // Output failing right after the unlock (stdout gone, say): the relay must not stay unlocked.
    const report = (line: string) => {
      if (line.includes('UNLOCKED')) throw new Error('EPIPE: stdout closed');
      door.lines.push(line);
    };
    await expect(pulseOutput('relay', { ...door.options, report })).rejects.toThrow('EPIPE');
    expect(door.relay()).toBe(0);
  });

  it('pulses the LED with the relay held locked', async () => {
    const door = wiredDoor();
    const pulse = pulseOutput('led', door.options);
    expect(door.kernel.physical(BASE + 27)).toBe(1);
    await pulse;
    expect(door.kernel.physical(BASE + 27)).toBe(0);
    expect(door.relay()).toBe(0);
    expect(door.lines).toEqual(['relay: locked (de-energised)', 'LED: on for 300 ms', 'LED: off']);
  });

  it('shows the inputs at rest, then each debounced change and a card read off the Wiegand lines', async () => {
    const door = wiredDoor();
    // Idle levels: contact closed (low), REX released (high, active low), tamper closed (low), data lines high.
    for (const pin of [24, 5, 6]) door.kernel.set(BASE + pin, 1);
    await new Promise((r) => setTimeout(r, 120)); // past the 50 ms debounce: the lines are at rest when the test starts
    const watching = watchInputs(door.options);
    expect(door.lines).toEqual(['relay: locked (de-energised)', 'door contact: closed', 'REX: released', 'tamper: ok']);

    door.kernel.set(BASE + 23, 1);
    await eventually(
      () => door.lines,
      (l) => l.some((x) => x.endsWith('door contact: OPEN')),
    );
    door.kernel.set(BASE + 25, 1);
    await eventually(
      () => door.lines,
      (l) => l.some((x) => x.endsWith('tamper: TAMPERED')),
    );
    for (const bit of encodeCardNumber('h10301', 65537n)) {
      const line = BASE + (bit ? 6 : 5);
      door.kernel.set(line, 0);
      door.kernel.set(line, 1);
    }
    await eventually(
      () => door.lines,
      (l) => l.some((x) => x.includes('card 65537')),
    );
    door.aborter.abort();
    await watching;
    expect(door.lines.slice(4)).toEqual([
      expect.stringMatching(/^\+\d+\.\d{3} s {2}door contact: OPEN$/),
      expect.stringMatching(/^\+\d+\.\d{3} s {2}tamper: TAMPERED$/),
      expect.stringMatching(/^\+\d+\.\d{3} s {2}card 65537 \(keypadd card add --person ID --number 65537\)$/),
    ]);
    expect(door.relay()).toBe(0);
  });
});
