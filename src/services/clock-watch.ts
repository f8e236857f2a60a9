/**
 * Watches whether the wall clock is trusted, every 2 s: a change goes on the bus (MQTT's status shows it), and a clock
 * below its floor (drivers/clock.ts) is an alarm, once per episode: time-limited access is refused until the clock
 * is set, and the admin should know why visitors are turned away.
 */
import { SystemClock, type Clock } from '../drivers/clock.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../storage/event-writer.js';
import { newEvent, now } from '../storage/new-event.js';
import type { EventBus } from './bus.js';
import type { Service } from './service.js';

export class ClockWatch implements Service {
  readonly name = 'clock watch';
  private timer?: NodeJS.Timeout;
  private alarmed: string | null = null;
  private trusted: boolean | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly events: EventSink,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), 2000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const trusted = this.clock.trusted();
    if (this.trusted !== null && trusted !== this.trusted) this.bus.emit('clock.changed', { trusted });
    this.trusted = trusted;
    const reason = this.clock instanceof SystemClock ? this.clock.untrustedReason() : null;
    const belowFloor = reason !== null && reason.includes('earlier than') ? reason : null;
    if (belowFloor === this.alarmed) return;
    this.alarmed = belowFloor;
    if (belowFloor === null) return;
    this.log.warn(`clock not trusted: ${belowFloor}`);
    const label = `Clock not trusted: ${belowFloor}; time-limited access is refused until the clock is set`;
    this.events.record(newEvent('clock_untrusted', { door_id: null, event_label: label }, now(false)));
  }
}
