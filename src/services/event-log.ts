/** One log line per stored event; alarms at warning, so `journalctl -p warning` lists them. */
import { ALARM_EVENT_TYPES, isEventType } from '../core/event-types.js';
import type { Logger } from '../log.js';
import type { EventRow } from '../storage/event-repo.js';
import type { EventBus } from './bus.js';
import type { Service } from './service.js';

export class EventLog implements Service {
  readonly name = 'event log';
  private off?: () => void;

  constructor(
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.off = this.bus.on('event.recorded', (e) => this.line(e));
  }

  stop(): void {
    this.off?.();
  }

  private line(e: EventRow): void {
    const who = e.person_name ? ` ${e.person_name}` : '';
    const line = `event #${e.id} door ${e.door_id} seq ${e.door_seq}: ${e.event_type}${e.reason ? ` (${e.reason})` : ''}${who}`;
    if (isEventType(e.event_type) && ALARM_EVENT_TYPES.has(e.event_type)) this.log.warn(line);
    else this.log.info(line);
  }
}
