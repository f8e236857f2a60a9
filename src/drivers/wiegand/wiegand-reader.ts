/**
 * A Wiegand reader or keypad on two GPIO inputs. The edge callback only timestamps and hands the pulse to the
 * decoder (as ESPHome's interrupt handler only shifts bits); a frame is decoded when the line goes quiet.
 * Decoded frames are rate-limited: a noisy or malicious line sending 1,000 frames/s is survived, counted and
 * reported, and cannot flood decisions or the event log.
 */
import { InputEvents } from '../door-hardware.js';
import { WiegandDecoder, type Frame, type WiegandOptions } from '../../core/wiegand.js';
import type { GpioPort } from '../gpio/port.js';
import { SummedReports } from '../summed-reports.js';

export interface WiegandReaderOptions {
  name: string;
  d0: number;
  d1: number;
  /** Data lines idle high and pulse low on nearly every reader. */
  activeLow: boolean;
  decoder: WiegandOptions;
  /** Frames per second passed on; the rest are dropped and counted. */
  maxFramesPerSecond: number;
}

export class WiegandReader extends InputEvents {
  private readonly decoder: WiegandDecoder;
  private timer: NodeJS.Timeout | undefined;
  private pendingEnd: NodeJS.Immediate | undefined;
  private tokens: number;
  private refilledAt = performance.now();
  private droppedSinceReport = 0;
  private errorsSinceReport: { reason: string; bits: number; count: number } | null = null;
  private readonly reports = new SummedReports(() => this.flushReport());
  readonly stats = { frames: 0, cards: 0, keys: 0, errors: 0, dropped: 0 };

  constructor(private readonly opts: WiegandReaderOptions) {
    super();
    this.decoder = new WiegandDecoder(opts.decoder);
    this.tokens = opts.maxFramesPerSecond;
  }

  /** Claims the data lines. */
  attach(port: GpioPort): void {
    for (const [bcm, bit] of [
      [this.opts.d0, 0],
      [this.opts.d1, 1],
    ] as const) {
      port.watch(bcm, { name: `${this.opts.name} D${bit}`, activeLow: this.opts.activeLow }, (level, tMs) => {
        if (level === 1) this.pulse(bit, tMs);
      });
    }
  }

  /** One bit, timestamped at the edge callback. */
  pulse(bit: 0 | 1, tMs: number): void {
    const frame = this.decoder.pulse(bit, tMs);
    if (frame) this.deliver(frame);
    this.armFlush();
  }

  /**
   * One bit timestamped by the kernel (the gpiod backend): a frame ends when the next pulse's timestamp is more than
   * the gap after the last one, however late the pulses are delivered. The last frame ends on a timer on arrival
   * time, whose clock need not match the kernel's; it ends the frame only after a turn of the event loop has read
   * what the child already printed (timers run before I/O after a stall), so a stall cannot split a frame.
   */
  timedPulse(bit: 0 | 1, tMs: number): void {
    const frame = this.decoder.pulse(bit, tMs);
    if (frame) this.deliver(frame);
    clearTimeout(this.timer);
    clearImmediate(this.pendingEnd);
    this.timer = setTimeout(() => (this.pendingEnd = setImmediate(() => this.endTimedFrame())), this.opts.decoder.gapMs + 1);
  }

  /** Ends the pending kernel-timestamped frame now (the timer, or the edge source gone part-way through a frame). */
  endTimedFrame(): void {
    clearTimeout(this.timer);
    clearImmediate(this.pendingEnd);
    const deadline = this.decoder.deadline;
    const frame = deadline === null ? null : this.decoder.flush(deadline);
    if (frame) this.deliver(frame);
  }

  /** Ends the pending frame as of `tMs` (the timer does this on real lines; the simulator calls it directly). */
  flushAt(tMs: number): void {
    const frame = this.decoder.flush(tMs);
    if (frame) this.deliver(frame);
    this.armFlush();
  }

  /** Stops the timers; read errors still waiting for their once-a-second report are reported now. */
  close(): void {
    clearTimeout(this.timer);
    clearImmediate(this.pendingEnd);
    this.reports.close();
  }

  private armFlush(): void {
    clearTimeout(this.timer);
    const deadline = this.decoder.deadline;
    if (deadline !== null) this.timer = setTimeout(() => this.flushAt(performance.now()), Math.max(0, deadline - performance.now()) + 1);
  }

  private deliver(frame: Frame): void {
    this.stats.frames++;
    if (!this.takeToken()) {
      this.stats.dropped++;
      this.droppedSinceReport++;
      this.reports.poke(); // read errors and drops: at most one report a second, summed
      return;
    }
    if (frame.kind === 'error') {
      this.stats.errors++;
      const e = this.errorsSinceReport;
      if (e && e.reason === frame.reason) e.count++;
      else {
        this.flushReport();
        this.errorsSinceReport = { reason: frame.reason, bits: frame.bits, count: 1 };
      }
      this.reports.poke(); // read errors and drops: at most one report a second, summed
    } else if (frame.kind === 'key') {
      this.stats.keys++;
      this.keys.emit(frame.key);
    } else {
      this.stats.cards++;
      this.cards.emit(frame.number);
    }
  }

  private takeToken(): boolean {
    const now = performance.now();
    const rate = this.opts.maxFramesPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private flushReport(): void {
    const source = this.opts.name;
    if (this.errorsSinceReport) {
      const e = this.errorsSinceReport;
      this.statuses.emit({ type: 'read_error', source, reason: e.reason, count: e.count, bits: e.bits });
      this.errorsSinceReport = null;
    }
    if (this.droppedSinceReport > 0) {
      this.statuses.emit({ type: 'read_error', source, reason: 'rate_limited', count: this.droppedSinceReport });
      this.droppedSinceReport = 0;
    }
  }
}
