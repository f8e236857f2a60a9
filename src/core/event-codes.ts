/**
 * The codes and labels of access decisions, which depend on the credential and the reason (every other type has its
 * code in event-types.ts). Labels name people and doors, never a PIN.
 */
import type { DenyReason, PresentedKind } from './decision.js';

export function grantCode(kind: PresentedKind | 'Card+PIN'): number {
  // 15: DoorFlow's "application" admit, a person let in by an app (admit_person).
  return kind === 'Remote' ? 15 : kind === 'PIN' ? 11 : 10;
}

/**
 * DoorFlow reject codes: 20 card, 21 out of hours, 22 lockdown, 24 PIN, 26 invalid type, 27 unauthorised. A keypad
 * or reader lockout is a refused PIN or card (24, 20), not 22: DoorFlow's 22 is a channel lockdown.
 */
export function denyCode(kind: PresentedKind, reason: DenyReason): number {
  switch (reason) {
    case 'unknown_credential':
    case 'pin_expired':
    case 'locked_out':
      return kind === 'PIN' ? 24 : 20;
    case 'outside_schedule':
      return 21;
    case 'lockdown':
      return 22;
    case 'wrong_mode':
      return 26;
    default:
      return 27;
  }
}

const REASON_TEXT: Record<DenyReason, string> = {
  unknown_credential: 'unknown credential',
  uses_exhausted: 'all its uses are spent',
  credential_disabled: 'credential disabled',
  person_disabled: 'person disabled',
  outside_validity: 'outside the person’s validity period',
  outside_schedule: 'outside schedule',
  no_reservation: 'no reservation for now',
  pin_expired: 'PIN too old',
  locked_out: 'locked out after too many wrong tries',
  lockdown: 'the door is locked down',
  clock_untrusted: 'clock not trusted',
  wrong_mode: 'credential type not accepted at this door',
  invalid_record: 'the stored record cannot be read (denied to be safe)',
  storage_error: 'the database failed (denied to be safe)',
};

export function grantLabel(personName: string, kind: PresentedKind | 'Card+PIN', emergency = false): string {
  const how = kind === 'Remote' ? 'remotely' : `using ${kind === 'PIN' ? 'PIN' : kind === 'Card' ? 'card' : 'card and PIN'}`;
  return `${personName} admitted ${how}${emergency ? ' (emergency credential, during lockdown)' : ''}`;
}

export function denyLabel(personName: string | null, kind: PresentedKind, reason: DenyReason): string {
  return `${personName ?? (kind === 'PIN' ? 'PIN' : kind === 'Card' ? 'Card' : 'Remote admission')} rejected: ${REASON_TEXT[reason]}`;
}
