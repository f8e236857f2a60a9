/**
 * A Wiegand reader read through the GPIO character device (`backend: gpiod`): gpiomon supervises the two data lines
 * and each pulse reaches the decoder with the kernel's timestamp, so frame boundaries follow when the bits happened,
 * not when the event loop got to them. Offsets on the chip are the BCM numbers on a Pi's main GPIO chip.
 */
import { GpiomonEdges } from '../gpio/gpiomon.js';
import { WiegandReader, type WiegandReaderOptions } from './wiegand-reader.js';

export interface GpiodWiegandOptions extends WiegandReaderOptions {
  chip: string;
  gpiomonPath: string;
  /** Restart backoff for gpiomon (defaults suit a Pi; tests shorten them). */
  firstRestartMs?: number;
  maxBackoffMs?: number;
  healthyAfterMs?: number;
}

/** Starts gpiomon at once; `close()` kills it. Statuses (offline, online, unparsed lines) come out of the reader. */
export class GpiodWiegandReader extends WiegandReader {
  readonly gpiomon: GpiomonEdges;

  constructor(opts: GpiodWiegandOptions) {
    super(opts);
    this.gpiomon = new GpiomonEdges(
      {
        name: opts.name,
        gpiomonPath: opts.gpiomonPath,
        chip: opts.chip,
        offsets: [opts.d0, opts.d1],
        edge: opts.activeLow ? 'falling' : 'rising',
        firstRestartMs: opts.firstRestartMs,
        maxBackoffMs: opts.maxBackoffMs,
        healthyAfterMs: opts.healthyAfterMs,
      },
      (edge) => {
        // Only the edge that starts a pulse is asked for; the other, should one come, is not a bit.
        if (edge.rising !== opts.activeLow) this.timedPulse(edge.offset === opts.d1 ? 1 : 0, edge.tMs);
      },
      (status) => this.statuses.emit(status),
      // A frame cut off by gpiomon's exit is decoded now (as the read error it most likely is), not glued to the next.
      () => this.endTimedFrame(),
    );
    this.gpiomon.start();
  }

  override close(): void {
    this.gpiomon.stop();
    super.close();
  }
}
