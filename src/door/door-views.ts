/**
 * A door's status as each outside view shows it, built from DoorController.status() in one place: DoorFlow's channel
 * (the API), and the retained state topic (MQTT). `keypadd sim`/`status` print the status itself.
 */
import type { DoorConfig } from '../config/schema.js';
import type { EventRow } from '../storage/event-repo.js';
import type { DoorStatus } from './door-controller.js';

/** A door as a DoorFlow channel, with its live status. */
export function channelView(s: DoorStatus, door: DoorConfig): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    online: true,
    mode: s.held_unlocked ? 'unlocked' : 'normal',
    credential_mode: door.mode,
    relay: s.relay,
    door: s.door,
    lockout: s.lockout,
  };
}

/** What the retained state topic of a door says. */
export interface DoorState {
  lock: 'locked' | 'unlocked';
  door: 'open' | 'closed' | 'unknown';
  lockout: { active: boolean; until: string | null };
  last_event_id: number | null;
  last_access: { label: string; event_type: string; person_name: string | null; reason: string | null; at: string } | null;
}

export function doorState(s: DoorStatus, lastEvent: EventRow | undefined, lastAccess: EventRow | undefined): DoorState {
  return {
    lock: s.relay,
    door: s.door,
    lockout: { active: s.lockout.active, until: s.lockout.until },
    last_event_id: lastEvent?.id ?? null,
    last_access: lastAccess
      ? {
          label: lastAccess.event_label,
          event_type: lastAccess.event_type,
          person_name: lastAccess.person_name,
          reason: lastAccess.reason,
          at: lastAccess.created_at,
        }
      : null,
  };
}
