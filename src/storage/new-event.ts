/**
 * The one way to make an event to record: its code, uid and time follow from its type and the moment it happened,
 * never passed beside it. Access decisions take the code their credential and reason give (core/event-codes.ts).
 */
import { toIsoSeconds } from '../core/site-time.js';
import { DOOR_EVENT_CODES, type DoorEventType } from '../core/event-types.js';
import { newEventId } from './event-id.js';
import type { NewEvent } from './event-repo.js';

/** When it happened: the wall clock, and whether it was trusted then (null: not applicable, an admin's command). */
export interface EventMoment {
  wallMs: number;
  trusted: boolean | null;
}

export type EventFields = Omit<NewEvent, 'event_type' | 'event_code' | 'uid' | 'created_at' | 'time_trusted'>;

export function newEvent(type: DoorEventType, fields: EventFields, at: EventMoment): NewEvent {
  return stamp({ ...fields, event_type: type, event_code: DOOR_EVENT_CODES[type] }, at);
}

/** An access decision, with the code grantCode() or denyCode() gave it. */
export function accessEvent(type: 'access_granted' | 'access_denied', code: number, fields: EventFields, at: EventMoment): NewEvent {
  return stamp({ ...fields, event_type: type, event_code: code }, at);
}

/** The moment of a command run now by this process (the CLI, a worker): the system clock, trust not known. */
export const now = (trusted: boolean | null = null): EventMoment => ({ wallMs: Date.now(), trusted });

function stamp(e: Omit<NewEvent, 'uid' | 'created_at' | 'time_trusted'>, at: EventMoment): NewEvent {
  return { ...e, time_trusted: at.trusted, uid: newEventId(at.wallMs), created_at: toIsoSeconds(at.wallMs) };
}
