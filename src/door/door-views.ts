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
  /** The newest access (ACCESS_EVENT_TYPES: a PIN or card, the exit button, a remote unlock), also across restarts. */
  last_access: LastAccess | null;
}

export interface LastAccess {
  event_id: number;
  label: string;
  event_type: string;
  person_name: string | null;
  reason: string | null;
  /** Who or what asked, for a remote unlock ("mqtt", "api:<token>"); null at the door. */
  source: string | null;
  at: string;
}

export function lastAccess(row: EventRow): LastAccess {
  return {
    event_id: row.id,
    label: row.event_label,
    event_type: row.event_type,
    person_name: row.person_name,
    reason: row.reason,
    source: row.source,
    at: row.created_at,
  };
}

export function doorState(s: DoorStatus, lastEvent: EventRow | undefined, access: EventRow | undefined): DoorState {
  return {
    lock: s.relay,
    door: s.door,
    lockout: { active: s.lockout.active, until: s.lockout.until },
    last_event_id: lastEvent?.id ?? null,
    last_access: access ? lastAccess(access) : null,
  };
}
