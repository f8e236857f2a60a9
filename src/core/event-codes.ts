/**
 * Event types keypadd records, with DoorFlow's event codes (10-18 admit, 20-29 reject, 30 REX, 31-37 door state and
 * alarms, 90-91 tamper) and the label text. Labels name people and doors, never a PIN.
 */
import type { CredentialKind, DenyReason } from './decision.js';

export type EventType =
  | 'access_granted'
  | 'access_denied'
  | 'rex'
  | 'door_opened'
  | 'door_closed'
  | 'door_held_open'
  | 'door_forced_open'
  | 'keypad_locked_out'
  | 'keypad_alarm'
  | 'relay_forced_lock'
  | 'lockout_reset'
  | 'remote_unlock'
  | 'remote_lock'
  | 'command_refused'
  | 'outbox_backlog_alarm'
  | 'tamper'
  | 'tamper_cleared'
  | 'reader_offline'
  | 'reader_online'
  | 'read_error'
  | 'remote_hold_unlocked'
  | 'remote_normal'
  | 'sync_completed'
  | 'sync_failed'
  | 'sync_token_rejected'
  | 'sync_delete_refused'
  | 'sync_stale'
  | 'sync_credential_clash'
  | 'card_reader_locked_out'
  | 'card_alarm'
  | 'clock_untrusted'
  | 'pin_values_removed'
  | 'disk_full'
  | 'events_spooled'
  | 'events_prune_limited'

  | 'api_pin_in_use'
  | 'api_pin_probe_alarm';

export function grantCode(kind: CredentialKind | 'Card+PIN'): number {
  return kind === 'PIN' ? 11 : 10;
}

/**
 * DoorFlow reject codes: 20 card, 21 out of hours, 22 lockdown, 24 PIN, 26 invalid type, 27 unauthorised. A keypad
 * or reader lockout is a refused PIN or card (24, 20), not 22: DoorFlow's 22 is a channel lockdown.
 */
export function denyCode(kind: CredentialKind, reason: DenyReason): number {
  switch (reason) {
    case 'unknown_credential':
    case 'pin_expired':
    case 'locked_out':
      return kind === 'PIN' ? 24 : 20;
    case 'outside_schedule':
      return 21;
    case 'wrong_mode':
      return 26;
    default:
      return 27;
  }
}

/** Every event type but the access decisions, whose codes depend on the credential and the reason. */
export type DoorEventType = Exclude<EventType, 'access_granted' | 'access_denied'>;

export const DOOR_EVENT_CODES: Record<DoorEventType, number> = {
  rex: 30,
  door_opened: 31,
  door_closed: 32,
  door_held_open: 33,
  door_forced_open: 34,
  keypad_locked_out: 35,
  keypad_alarm: 36,
  relay_forced_lock: 37,
  lockout_reset: 38,
  // DoorFlow's 50-63 are remote control events.
  remote_unlock: 50,
  remote_lock: 51,
  command_refused: 52,
  remote_hold_unlocked: 53,
  remote_normal: 54,
  outbox_backlog_alarm: 60,
  clock_untrusted: 61,
  pin_values_removed: 62,
  // Storage trouble: a full disk, events kept in the spool until they could be stored, a prune held back.
  disk_full: 63,
  events_spooled: 64,
  events_prune_limited: 65,
  // Credential sync from the upstream API (DoorFlow has no codes for a controller's own sync).
  sync_completed: 70,
  sync_failed: 71,
  sync_token_rejected: 72,
  sync_delete_refused: 73,
  sync_stale: 74,
  sync_credential_clash: 75,
  // The API's own alarms: a token refused a PIN that is in use (which tells it the PIN exists), and too many of those.
  api_pin_in_use: 80,
  api_pin_probe_alarm: 81,
  // DoorFlow's 90-91 are tamper events; the reader's own health follows them.
  tamper: 90,
  tamper_cleared: 91,
  reader_offline: 92,
  reader_online: 93,
  read_error: 94,
  card_reader_locked_out: 95,
  card_alarm: 96,
};

const REASON_TEXT: Record<DenyReason, string> = {
  unknown_credential: 'unknown credential',
  credential_disabled: 'credential disabled',
  person_disabled: 'person disabled',
  outside_validity: 'outside the person’s validity period',
  outside_schedule: 'outside schedule',
  no_reservation: 'no reservation for now',
  pin_expired: 'PIN too old',
  locked_out: 'locked out after too many wrong tries',
  clock_untrusted: 'clock not trusted',
  wrong_mode: 'credential type not accepted at this door',
  invalid_record: 'the stored record cannot be read (denied to be safe)',
  storage_error: 'the database failed (denied to be safe)',
};

export function grantLabel(personName: string, kind: CredentialKind | 'Card+PIN'): string {
  return `${personName} admitted using ${kind === 'PIN' ? 'PIN' : kind === 'Card' ? 'card' : 'card and PIN'}`;
}

export function denyLabel(personName: string | null, kind: CredentialKind, reason: DenyReason): string {
  return `${personName ?? (kind === 'PIN' ? 'PIN' : 'Card')} rejected: ${REASON_TEXT[reason]}`;
}
