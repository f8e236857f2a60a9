/** Events in words for people: the type's title, and why a door said no. */
import { EVENT_TYPES, isEventType } from '../core/event-types.js';
import type { EventView } from '../application/events.js';
import { siteTime } from '../application/times.js';

const REASONS: Record<string, string> = {
  unknown_credential: 'not a known PIN or card',
  uses_exhausted: 'the PIN has no uses left',
  credential_disabled: 'the credential is disabled',
  person_disabled: 'the person is disabled',
  outside_validity: 'outside the person’s validity dates',
  outside_schedule: 'outside the role’s schedule',
  no_reservation: 'no reservation covers this time and door',
  pin_expired: 'the PIN has expired',
  locked_out: 'the keypad is locked out after wrong PINs',
  clock_untrusted: 'the controller’s clock is not trusted',
  wrong_mode: 'this door does not take that kind of credential now',
  invalid_record: 'the stored record is damaged',
  storage_error: 'the database could not be read',
};

export const reasonInWords = (reason: string | null): string => (reason === null ? '' : (REASONS[reason] ?? reason.replaceAll('_', ' ')));

export const titleOf = (type: string): string => (isEventType(type) ? EVENT_TYPES[type].title : type.replaceAll('_', ' '));

/** One event as the console shows it (the feed and the events page alike). */
export interface EventLine {
  id: number;
  at: string;
  door: string;
  title: string;
  person: string;
  reason: string;
  source: string;
  type: string;
}

export function eventLine(e: EventView, zone: string): EventLine {
  return {
    id: e.id,
    at: siteTime(e.timestamp, zone),
    door: e.channel_name ?? '',
    title: titleOf(e.event_type),
    person: e.person_name ?? '',
    reason: reasonInWords(e.reason),
    source: e.source ?? '',
    type: e.event_type,
  };
}
