/**
 * onoff replaced at its module boundary: an in-memory sysfs "kernel" with onoff's Gpio semantics (activeLow
 * inversion, initial levels, edge watches, unexport), plus the errors the kernel gives (EBUSY, EINVAL).
 */
import type { OnoffGpio, OnoffGpioClass } from '../../src/drivers/gpio/onoff-port.js';

interface KLine {
  physical: 0 | 1;
  output: boolean;
  edge: string;
  activeLow: boolean;
  watchers: ((err: null, v: 0 | 1) => void)[];
}

export class FakeKernel {
  readonly lines = new Map<number, KLine>();
  /** sysfs numbers the "kernel" accepts, and ones another driver holds. */
  readonly valid: Set<number>;
  readonly busy = new Set<number>();
  readonly exported: number[] = [];

  constructor(valid: Iterable<number>) {
    this.valid = new Set(valid);
  }

  /** Drives an input's physical level, firing watches like onoff's epoll callback. */
  set(n: number, physical: 0 | 1): void {
    const l = this.lines.get(n);
    if (!l || l.output || l.physical === physical) return;
    l.physical = physical;
    const logical = (physical ^ (l.activeLow ? 1 : 0)) as 0 | 1;
    const rising = logical === 1;
    if (l.edge === 'both' || (l.edge === 'rising' && rising) || (l.edge === 'falling' && !rising)) for (const w of l.watchers) w(null, logical);
  }

  physical(n: number): 0 | 1 {
    return this.lines.get(n)?.physical ?? 0;
  }

  gpioClass(): OnoffGpioClass {
    return fakeGpioClass(this);
  }
}

function fakeGpioClass(kernel: FakeKernel): OnoffGpioClass {
  return class implements OnoffGpio {
    constructor(
      private readonly n: number,
      direction: 'in' | 'out' | 'high' | 'low',
      edge: 'none' | 'rising' | 'falling' | 'both' = 'none',
      options: { activeLow?: boolean } = {},
    ) {
      const err = (code: string) => Object.assign(new Error(`${code}, write`), { code });
      if (!kernel.valid.has(n)) throw err('EINVAL');
      if (kernel.busy.has(n) || kernel.lines.has(n)) throw err('EBUSY');
      kernel.exported.push(n);
      kernel.lines.set(n, {
        physical: direction === 'high' ? 1 : 0,
        output: direction !== 'in',
        edge,
        activeLow: options.activeLow === true,
        watchers: [],
      });
    }
    private get line(): KLine {
      return kernel.lines.get(this.n)!;
    }
    readSync(): 0 | 1 {
      return (this.line.physical ^ (this.line.activeLow ? 1 : 0)) as 0 | 1;
    }
    writeSync(v: 0 | 1): void {
      this.line.physical = (v ^ (this.line.activeLow ? 1 : 0)) as 0 | 1;
    }
    watch(cb: (err: Error | null | undefined, v: 0 | 1) => void): void {
      this.line.watchers.push(cb);
    }
    unexport(): void {
      kernel.lines.delete(this.n);
    }
  };
}
