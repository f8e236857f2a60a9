/**
 * A simulated GPIO port with controls: set an input's physical level, send Wiegand pulses, see what outputs did.
 * Edges are delivered synchronously with the time the control gives, like onoff's callback would report it; a
 * test can also deliver a burst late and coalesced, as a blocked event loop would: onoff's edges wait in the event
 * loop, and the edges of one line that arrive while it is blocked collapse into one.
 */
import { Listeners, type OutputLine } from '../door-hardware.js';
import { GpioError, type GpioPort, type LineOptions, type OutputOptions } from './port.js';

interface SimLine {
  opts: LineOptions;
  /** Physical level. */
  physical: 0 | 1;
  output: boolean;
  edges: Listeners<{ level: 0 | 1; tMs: number }>;
  writes: boolean[];
}

export class SimGpioPort implements GpioPort {
  private readonly lines = new Map<number, SimLine>();

  output(bcm: number, opts: OutputOptions): OutputLine {
    const line = this.claim(bcm, opts, true, ((opts.energised === true ? 1 : 0) ^ (opts.activeLow ? 1 : 0)) as 0 | 1);
    return {
      write: (on) => {
        line.physical = (on ? 1 : 0) ^ (opts.activeLow ? 1 : 0) ? 1 : 0;
        line.writes.push(on);
      },
      get energised() {
        return ((line.physical ^ (opts.activeLow ? 1 : 0)) as number) === 1;
      },
    };
  }

  watch(bcm: number, opts: LineOptions, listener: (level: 0 | 1, tMs: number) => void): void {
    // Inputs idle inactive: Wiegand data lines and contacts sit at their inactive level.
    const line = this.claim(bcm, opts, false, opts.activeLow ? 1 : 0);
    line.edges.add(({ level, tMs }) => listener(level, tMs));
  }

  read(bcm: number): 0 | 1 {
    const line = this.lines.get(bcm);
    if (!line) throw new GpioError(`BCM ${bcm} is not claimed`);
    return (line.physical ^ (line.opts.activeLow ? 1 : 0)) as 0 | 1;
  }

  close(): void {
    this.lines.clear();
  }

  // ---- controls ----

  /** Sets an input's physical level; an edge is delivered when it changes. */
  setPhysical(bcm: number, level: 0 | 1, tMs = performance.now()): void {
    const line = this.input(bcm);
    if (line.physical === level) return;
    line.physical = level;
    line.edges.emit({ level: (level ^ (line.opts.activeLow ? 1 : 0)) as 0 | 1, tMs });
  }

  /** A short pulse to active and back, both edges at `tMs`: one Wiegand bit. */
  pulse(bcm: number, tMs = performance.now()): void {
    const line = this.input(bcm);
    const active = (line.opts.activeLow ? 0 : 1) as 0 | 1;
    this.setPhysical(bcm, active, tMs);
    this.setPhysical(bcm, (1 - active) as 0 | 1, tMs);
  }

  /** The physical level of a claimed line. */
  physical(bcm: number): 0 | 1 {
    const line = this.lines.get(bcm);
    if (!line) throw new GpioError(`BCM ${bcm} is not claimed`);
    return line.physical;
  }

  /** Every value written to an output, in order. */
  writes(bcm: number): boolean[] {
    return this.lines.get(bcm)?.writes ?? [];
  }

  isClaimed(bcm: number): boolean {
    return this.lines.has(bcm);
  }

  private input(bcm: number): SimLine {
    const line = this.lines.get(bcm);
    if (!line || line.output) throw new GpioError(`BCM ${bcm} is not a claimed input`);
    return line;
  }

  private claim(bcm: number, opts: LineOptions, output: boolean, physical: 0 | 1): SimLine {
    if (bcm < 0 || bcm > 27 || !Number.isInteger(bcm)) throw new GpioError(`${opts.name}: BCM ${bcm} is out of range (0-27)`, 'invalid_line');
    if (this.lines.has(bcm)) throw new GpioError(`${opts.name}: BCM ${bcm} is already used by another line in the configuration`, 'invalid_line');
    const line: SimLine = { opts, physical, output, edges: new Listeners(), writes: [] };
    this.lines.set(bcm, line);
    return line;
  }
}
