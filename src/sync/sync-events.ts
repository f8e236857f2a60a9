/** Sync's events: site-wide (no door), each with a uid made when it happened, never holding a credential value. */
import { DOOR_EVENT_CODES, type EventType } from '../core/event-codes.js';
import { toIsoSeconds } from '../core/site-time.js';
import { newEventId } from '../storage/event-id.js';
import type { NewEvent } from '../storage/event-repo.js';

export type SyncEventType = Extract<EventType, `sync_${string}`>;

export function syncEvent(
  type: SyncEventType,
  nowMs: number,
  label: string,
  detail: object,
  extra: Partial<Pick<NewEvent, 'person_id' | 'credential_id'>> = {},
): NewEvent {
  return {
    door_id: null,
    event_type: type,
    event_code: DOOR_EVENT_CODES[type],
    event_label: label,
    source: 'sync',
    detail: { ...detail },
    uid: newEventId(nowMs),
    created_at: toIsoSeconds(nowMs),
    ...extra,
  };
}
