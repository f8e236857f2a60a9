/**
 * GpioPort over onoff (sysfs). onoff is loaded only when a door uses GPIO, and is passed in as a constructor so
 * tests can replace it at the module boundary: this machine, like CI, has no GPIO.
 */
import type { OutputLine } from '../door-hardware.js';
import { GpioError, type GpioPort, type LineOptions, type OutputOptions } from './port.js';
import { findChip, resolveLine, type GpioChip } from './sysfs-resolver.js';

/** The part of onoff's Gpio class keypadd uses. */
export interface OnoffGpio {
  readSync(): 0 | 1;
  writeSync(value: 0 | 1): void;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unexport(): void;
}

export type OnoffGpioClass = new (
  gpio: number,
  direction: 'in' | 'out' | 'high' | 'low',
  edge?: 'none' | 'rising' | 'falling' | 'both',
  options?: { activeLow?: boolean; reconfigureDirection?: boolean },
) => OnoffGpio;

export async function loadOnoff(): Promise<OnoffGpioClass> {
  const mod = (await import('onoff')) as unknown as { Gpio: OnoffGpioClass };
  return mod.Gpio;
}

export class OnoffPort implements GpioPort {
  private readonly lines = new Map<number, OnoffGpio>();
  private readonly outputs = new Set<number>();
  private readonly chip: GpioChip;

  constructor(
    private readonly Gpio: OnoffGpioClass,
    private readonly sysfsRoot = '/sys/class/gpio',
    chip: string | number | null = null,
  ) {
    this.chip = findChip(sysfsRoot, chip);
  }

  output(bcm: number, opts: OutputOptions): OutputLine {
    // 'low'/'high' set the initial level as the line is made an output: no glitch to the other level on export.
    // The kernel takes them as physical levels, whatever active_low says.
    const initial = opts.energised === true;
    const physicalHigh = initial !== opts.activeLow;
    const gpio = this.claim(
      bcm,
      opts,
      () => new this.Gpio(this.number(bcm, opts), physicalHigh ? 'high' : 'low', 'none', { activeLow: opts.activeLow }),
    );
    this.outputs.add(bcm);
    let energised = initial;
    return {
      write(on: boolean) {
        gpio.writeSync(on ? 1 : 0);
        energised = on;
      },
      get energised() {
        return energised;
      },
    };
  }

  watch(bcm: number, opts: LineOptions, listener: (level: 0 | 1, tMs: number) => void): void {
    const gpio = this.claim(bcm, opts, () => new this.Gpio(this.number(bcm, opts), 'in', 'both', { activeLow: opts.activeLow }));
    gpio.watch((err, value) => {
      const t = performance.now();
      if (!err) listener(value, t);
    });
  }

  read(bcm: number): 0 | 1 {
    const gpio = this.lines.get(bcm);
    if (!gpio) throw new GpioError(`BCM ${bcm} is not claimed`);
    return gpio.readSync();
  }

  close(): void {
    for (const [bcm, g] of this.lines) {
      if (this.outputs.has(bcm)) continue; // left exported at the level last written (see GpioPort.close)
      try {
        g.unexport();
      } catch {
        // Already gone: nothing to release.
      }
    }
    this.lines.clear();
    this.outputs.clear();
  }

  private number(bcm: number, opts: LineOptions): number {
    return resolveLine(this.chip, bcm, this.sysfsRoot, opts.name);
  }

  private claim(bcm: number, opts: LineOptions, make: () => OnoffGpio): OnoffGpio {
    if (this.lines.has(bcm)) throw new GpioError(`${opts.name}: BCM ${bcm} is already used by another line in the configuration`, 'invalid_line');
    try {
      const g = make();
      this.lines.set(bcm, g);
      return g;
    } catch (err) {
      if (err instanceof GpioError) throw err;
      throw explain(err as NodeJS.ErrnoException, bcm, opts.name, this.chip);
    }
  }
}

/** onoff's raw errno errors, turned into what to do about them. */
export function explain(err: NodeJS.ErrnoException, bcm: number, name: string, chip: GpioChip): GpioError {
  const n = chip.base + bcm;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return new GpioError(`${name}: permission denied on GPIO ${n} (BCM ${bcm}): add the keypadd user to the gpio group`, 'permission');
    case 'EBUSY':
      return new GpioError(
        `${name}: GPIO ${n} (BCM ${bcm}) is busy: another process or a kernel driver (dtoverlay, w1, spi, i2c) holds it; free it or use another pin`,
        'busy',
      );
    case 'EINVAL':
      return new GpioError(
        `${name}: the kernel refused GPIO ${n} (BCM ${bcm} + base ${chip.base}): check gpio.chip and the pin number`,
        'invalid_line',
      );
    case 'ENOENT':
      return new GpioError(`${name}: GPIO ${n} did not appear in sysfs after export: is the GPIO sysfs interface enabled?`);
    default:
      return new GpioError(`${name}: GPIO ${n} (BCM ${bcm}): ${err.message}`);
  }
}
