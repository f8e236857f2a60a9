/** Sync's events: site-wide (no door), made when they happened, never holding a credential value. */
import type { EventType } from '../core/event-types.js';
import type { NewEvent } from '../storage/event-repo.js';
import { newEvent } from '../storage/new-event.js';

export type SyncEventType = Extract<EventType, `sync_${string}`>;

export function syncEvent(
  type: SyncEventType,
  nowMs: number,
  label: string,
  detail: object,
  extra: Partial<Pick<NewEvent, 'person_id' | 'credential_id'>> = {},
): NewEvent {
  return newEvent(type, { door_id: null, event_label: label, source: 'sync', detail: { ...detail }, ...extra }, { wallMs: nowMs, trusted: null });
}
