/**
 * GPIO lines by BCM number: the contract the onoff adapter (a Pi) and the simulated port (tests, --sim) share.
 * Levels are logical: `activeLow` lines are inverted by the port, so 1 always means "active" to callers.
 * Watchers get each edge with the time taken at the callback (performance.now()), which is what Wiegand needs.
 */
import { Listeners, type InputLine, type OutputLine } from '../door-hardware.js';

export interface LineOptions {
  /** Human name for errors ("door 1 relay"). */
  name: string;
  activeLow: boolean;
}

export interface OutputOptions extends LineOptions {
  /**
   * The level the line is driven to as it is claimed (default false, inactive). A relay is claimed at its locked
   * level, which for a fail-safe lock (a maglock) is energised: claimed inactive, it would open for a moment.
   */
  energised?: boolean;
}

export interface GpioPort {
  /** Claims an output and drives it to `opts.energised` (default inactive) at once, with no glitch to the other level. */
  output(bcm: number, opts: OutputOptions): OutputLine;
  /** Claims an input and calls `listener` on each edge with the new logical level and the time of the callback. */
  watch(bcm: number, opts: LineOptions, listener: (level: 0 | 1, tMs: number) => void): void;
  /** Current logical level of a claimed input. */
  read(bcm: number): 0 | 1;
  /**
   * Releases every input. Outputs keep the level last written (the door drives its relay locked first): on a Pi,
   * releasing a line turns it back into an input, whose level the relay board's pull resistor then decides, and a
   * fail-safe relay held locked would drop.
   */
  close(): void;
}

export class GpioError extends Error {
  override name = 'GpioError';
}

/**
 * A contact or button on a port, debounced in software: a change counts once the level has held for
 * `debounceMs` (a bouncing door contact would otherwise raise a burst of open/close events).
 */
export function debouncedInput(port: GpioPort, bcm: number, opts: LineOptions & { debounceMs: number }): InputLine {
  const changes = new Listeners<boolean>();
  let stable = false;
  let timer: NodeJS.Timeout | undefined;
  const line: InputLine = {
    get active() {
      return stable;
    },
    onChange: (l) => changes.add(l),
  };
  port.watch(bcm, opts, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const now = port.read(bcm) === 1;
      if (now !== stable) {
        stable = now;
        changes.emit(now);
      }
    }, opts.debounceMs);
  });
  // Read only once watch() has claimed the line.
  stable = port.read(bcm) === 1;
  return line;
}
