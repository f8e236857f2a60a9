/**
 * One contract, every GpioPort: the simulated port, the onoff adapter with onoff replaced at the module boundary,
 * and, with KEYPADD_TEST_GPIO=1 on a Pi, real lines (KEYPADD_TEST_GPIO_LOOP="OUT:IN" names two BCM pins joined
 * by a jumper; OUT drives IN).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { debouncedInput, type GpioPort } from '../../src/drivers/gpio/port.js';
import { OnoffPort, loadOnoff } from '../../src/drivers/gpio/onoff-port.js';
import { SimGpioPort } from '../../src/drivers/gpio/sim-port.js';
import { FakeKernel } from '../helpers/fake-onoff.js';
import { scratchDir } from '../helpers/scratch.js';
import { PI_MODELS, writeSysfs } from '../helpers/sysfs.js';

interface Harness {
  port: GpioPort;
  /** The input line under test and a way to set its physical level. */
  input: number;
  drive(physical: 0 | 1): void;
  /** An output line under test and its physical level. */
  output: number;
  physical(): 0 | 1;
  close(): void;
}

const IN = 23;
const OUT = 17;

const harnesses: [string, () => Promise<Harness>][] = [
  [
    'simulated port',
    async () => {
      const port = new SimGpioPort();
      return {
        port,
        input: IN,
        output: OUT,
        drive: (v) => port.setPhysical(IN, v),
        physical: () => port.physical(OUT),
        close: () => port.close(),
      };
    },
  ],
  [
    'onoff adapter (onoff replaced, Pi 4 on a 6.6 kernel)',
    async () => {
      const d = scratchDir('keypadd-gpio-');
      const root = writeSysfs(d.dir, PI_MODELS['pi4-kernel6.6']!);
      const kernel = new FakeKernel(Array.from({ length: 58 }, (_, i) => 512 + i));
      const port = new OnoffPort(kernel.gpioClass(), root, null);
      return {
        port,
        input: IN,
        output: OUT,
        drive: (v) => kernel.set(512 + IN, v),
        physical: () => kernel.physical(512 + OUT),
        close: () => {
          port.close();
          d.remove();
        },
      };
    },
  ],
];

if (process.env.KEYPADD_TEST_GPIO === '1') {
  const [loopOut, loopIn] = (process.env.KEYPADD_TEST_GPIO_LOOP ?? '20:21').split(':').map(Number) as [number, number];
  harnesses.push([
    `real GPIO (BCM ${loopOut} -> BCM ${loopIn})`,
    async () => {
      const port = new OnoffPort(await loadOnoff());
      const driver = port.output(loopOut, { name: 'loop driver', activeLow: false });
      return {
        port,
        input: loopIn,
        output: OUT,
        drive: (v) => driver.write(v === 1),
        physical: () => port.read(OUT),
        close: () => port.close(),
      };
    },
  ]);
}

let current: Harness | undefined;
afterEach(() => {
  current?.close();
  current = undefined;
});

describe.each(harnesses)('GpioPort contract: %s', (_name, make) => {
  it('claims an output at its inactive level, and writes through active-high', async () => {
    const h = (current = await make());
    const relay = h.port.output(h.output, { name: 'relay', activeLow: false });
    expect(h.physical()).toBe(0);
    relay.write(true);
    expect(relay.energised).toBe(true);
    expect(h.physical()).toBe(1);
    relay.write(false);
    expect(h.physical()).toBe(0);
  });

  it('inverts an active-low output: inactive is high', async () => {
    const h = (current = await make());
    const led = h.port.output(h.output, { name: 'LED', activeLow: true });
    expect(h.physical()).toBe(1);
    led.write(true);
    expect(h.physical()).toBe(0);
  });

  it('delivers each input edge with the logical level and the callback time', async () => {
    const h = (current = await make());
    const seen: [number, number][] = [];
    h.port.watch(h.input, { name: 'D0', activeLow: true }, (level, t) => seen.push([level, t]));
    // An input's level at claim time depends on the wiring: start from a known one.
    h.drive(0);
    await new Promise((r) => setTimeout(r, 5));
    seen.length = 0;
    const before = performance.now();
    h.drive(1);
    h.drive(0);
    h.drive(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.map(([l]) => l)).toEqual([0, 1, 0]);
    expect(seen.every(([, t]) => t >= before && t <= performance.now())).toBe(true);
    expect(h.port.read(h.input)).toBe(0);
  });

  it('refuses a line claimed twice, naming both uses', async () => {
    const h = (current = await make());
    h.port.output(h.output, { name: 'door 1 relay', activeLow: false });
    expect(() => h.port.output(h.output, { name: 'door 2 relay', activeLow: false })).toThrow(/door 2 relay: BCM 17 is already used/);
  });

  it('debounces a bouncing contact into one change', async () => {
    const h = (current = await make());
    const contact = debouncedInput(h.port, h.input, { name: 'contact', activeLow: false, debounceMs: 30 });
    const changes: boolean[] = [];
    h.drive(0);
    await new Promise((r) => setTimeout(r, 50));
    contact.onChange((a) => changes.push(a));
    for (const v of [1, 0, 1, 0, 1] as const) h.drive(v);
    await new Promise((r) => setTimeout(r, 80));
    expect(changes).toEqual([true]);
    expect(contact.active).toBe(true);
  });
});
