/** The onoff adapter with onoff replaced: the numbers it exports and the errors it turns into fixes. */
import { afterEach, describe, expect, it } from 'vitest';
import { OnoffPort } from '../../src/drivers/gpio/onoff-port.js';
import type { GpioError } from '../../src/drivers/gpio/port.js';
import { FakeKernel } from '../helpers/fake-onoff.js';
import { scratchDir } from '../helpers/scratch.js';
import { PI_MODELS, writeSysfs } from '../helpers/sysfs.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function pi(model: keyof typeof PI_MODELS, valid: number[]) {
  const d = scratchDir('keypadd-onoff-');
  cleanups.push(d.remove);
  const kernel = new FakeKernel(valid);
  return { kernel, port: new OnoffPort(kernel.gpioClass(), writeSysfs(d.dir, PI_MODELS[model]!), null) };
}

describe('onoff adapter', () => {
  it('exports base + BCM: a Pi 5 relay on BCM17 is sysfs 588, a Pi 4 (6.6) one is 529', () => {
    const five = pi('pi5', [588, 593]);
    five.port.output(17, { name: 'relay', activeLow: false });
    five.port.watch(22, { name: 'contact', activeLow: false }, () => undefined);
    expect(five.kernel.exported).toEqual([588, 593]);
    const four = pi('pi4-kernel6.6', [529]);
    four.port.output(17, { name: 'relay', activeLow: false });
    expect(four.kernel.exported).toEqual([529]);
  });

  it('explains a busy line and a number the kernel refuses', () => {
    const { kernel, port } = pi('pi4-kernel6.6', [529, 530]);
    kernel.busy.add(530);
    expect(() => port.output(18, { name: 'door 1 LED', activeLow: false })).toThrow(
      /door 1 LED: GPIO 530 \(BCM 18\) is busy: another process or a kernel driver/,
    );
    expect(() => port.output(19, { name: 'door 1 buzzer', activeLow: false })).toThrow(
      /door 1 buzzer: the kernel refused GPIO 531 \(BCM 19 \+ base 512\): check gpio.chip/,
    );
  });

  it('marks what no restart can fix as permanent (the daemon exits 78), and a busy line as passing (exit 1)', () => {
    const { kernel, port } = pi('pi4-kernel6.6', [529, 530]);
    kernel.busy.add(530);
    const thrown = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return err as GpioError;
      }
      throw new Error('did not throw');
    };
    const busy = thrown(() => port.output(18, { name: 'led', activeLow: false }));
    expect([busy.kind, busy.permanent]).toEqual(['busy', false]);
    const refused = thrown(() => port.output(19, { name: 'buzzer', activeLow: false }));
    expect([refused.kind, refused.permanent]).toEqual(['invalid_line', true]);
    const range = thrown(() => port.output(60, { name: 'relay', activeLow: false }));
    expect([range.kind, range.permanent]).toEqual(['invalid_line', true]);
    const missing = thrown(() => new OnoffPort(kernel.gpioClass(), '/nonexistent/gpio', null));
    expect([missing.kind, missing.permanent]).toEqual(['no_interface', true]);
  });

  it('releases inputs on close, and leaves outputs exported at the level last written (a relay stays locked)', () => {
    const { kernel, port } = pi('pi4-kernel6.6', [529, 535]);
    const relay = port.output(17, { name: 'relay', activeLow: false, energised: true });
    port.watch(23, { name: 'rex', activeLow: true }, () => undefined);
    expect(kernel.lines.size).toBe(2);
    expect(kernel.physical(529)).toBe(1);
    relay.write(true);
    port.close();
    expect([...kernel.lines.keys()]).toEqual([529]);
    expect(kernel.physical(529)).toBe(1);
  });

  it('claims an output at the level asked for, with no glitch through the other: a fail-safe relay energised', () => {
    const { kernel, port } = pi('pi4-kernel6.6', [529, 530]);
    port.output(17, { name: 'maglock relay', activeLow: true, energised: true });
    port.output(18, { name: 'strike relay', activeLow: true });
    // Active-low: energised is 0 V, de-energised 3.3 V; the kernel sets the level as it makes the line an output.
    expect([kernel.physical(529), kernel.physical(530)]).toEqual([0, 1]);
  });
});
