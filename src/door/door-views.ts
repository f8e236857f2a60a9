/**
 * A door's status as each outside view shows it, built from DoorController.status() in one place: DoorFlow's channel
 * (the API), and the retained state topic (MQTT). `keypadd sim`/`status` print the status itself.
 */
import type { DoorConfig } from '../config/schema.js';
import type { EventRow } from '../storage/event-repo.js';
import type { DoorStatus } from './door-controller.js';

/** What identifies this controller in a DoorFlow channel: the Pi's network interface and serial (api/identity.ts). */
export interface ControllerIdentity {
  macAddress: string;
  serial: string | null;
}

/**
 * A door as DoorFlow's `Channel`: mode {description, relock_at, change_stamp}, status, lockdown, auto_unlock, unit
 * (the door's id on this controller), mac_address, model "keypadd", serial_number; and keypadd's own live fields
 * beside them (relay, door, keypad lockout, credential mode), which a DoorFlow client ignores.
 */
export function channelView(s: DoorStatus, door: DoorConfig, identity: ControllerIdentity): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    mac_address: identity.macAddress,
    // The daemon answers for its doors, so a door it lists is online.
    status: 'online',
    unit: s.id,
    model: 'keypadd',
    model_long: 'keypadd keypad and card door controller',
    serial_number: identity.serial,
    card_format: null,
    pin_format: null,
    mode: s.mode,
    lockdown: s.lockdown,
    auto_unlock: s.auto_unlock ? { id: s.auto_unlock.id, name: s.auto_unlock.name } : null,
    auto_unlock_state: s.auto_unlock?.state ?? null,
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
  /** Site operations (README "Site operations"): locked down (here or site-wide), the site's lockdown, unlock mode, shift. */
  lockdown: boolean;
  site_lockdown: boolean;
  mode: 'unlock' | 'normal';
  auto_unlock: string;
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
    lockdown: s.lockdown !== null,
    site_lockdown: s.site_lockdown,
    mode: s.mode.description,
    // "off" without a shift; else idle, waiting (first person in), unlocked or closing (last to leave).
    auto_unlock: s.auto_unlock ? s.auto_unlock.state : 'off',
    last_event_id: lastEvent?.id ?? null,
    last_access: access ? lastAccess(access) : null,
  };
}
