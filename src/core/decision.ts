/**
 * The access decision: pure, given what storage knows about the presented credential and the state of the door.
 * Every denial carries exactly one reason code, checked in a fixed order so the same facts always give the same
 * reason. A denial never says more than its reason (a wrong PIN and a PIN during lockout look alike at the door).
 */
import { slotsCoverWithHolidays, type Holiday } from './site-calendar.js';
import type { Slot } from './schedule.js';

export const DENY_REASONS = [
  'unknown_credential',
  'uses_exhausted',
  'credential_disabled',
  'person_disabled',
  'outside_validity',
  'outside_schedule',
  'no_reservation',
  'pin_expired',
  'locked_out',
  'lockdown',
  'clock_untrusted',
  'wrong_mode',
  'invalid_record',
  'storage_error',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export type DoorMode = 'pin' | 'card' | 'card_or_pin' | 'card_and_pin';
export type CredentialKind = 'PIN' | 'Card';
/** What was presented: a PIN, a card, or a remote admission of a named person (DoorFlow's admit_person). */
export type PresentedKind = CredentialKind | 'Remote';

/** Standing access from one role: its doors (empty = all) in its weekly slots (empty = 24/7). */
export interface RoleAccess {
  doors: number[];
  slots: Slot[];
}

/**
 * Access from one group the person belongs to: the group's doors and weekly slots, exactly as a role's, and for a
 * group reservation the window it runs in (start inclusive, end exclusive). A standing membership has no window.
 */
export interface GroupAccess extends RoleAccess {
  window: { startMs: number; endMs: number } | null;
}

export interface ReservationAccess {
  startMs: number;
  endMs: number;
  /** Empty = all doors. */
  doors: number[];
}

/** What storage found for a presented credential. */
export interface AccessFacts {
  /** `usesRemaining`: grants left on a use-limited PIN (null or absent: unlimited); 0 is refused as uses_exhausted. */
  /** `duress`: the person's duress PIN, which is decided as their PIN and raises a duress alarm. */
  credential: { id: string; kind: PresentedKind; enabled: boolean; createdAtMs: number; usesRemaining?: number | null; duress?: boolean };
  person: {
    id: number;
    name: string;
    enabled: boolean;
    validFromMs: number | null;
    validToMs: number | null;
    /** An emergency credential holder (security, fire warden): let through a lockdown, and recorded as such. */
    emergency?: boolean;
    /** How long the relay holds for this person (accessibility), in ms; null or absent: the door's own time. */
    unlockMs?: number | null;
  };
  roles: RoleAccess[];
  reservations: ReservationAccess[];
  /** Standing group memberships and group reservations not yet ended; absent means none. */
  groups?: GroupAccess[];
}

export interface DecisionInput {
  presented: PresentedKind;
  /** Null when no credential has the presented value. */
  facts: AccessFacts | null;
  door: { id: number; mode: DoorMode; maxPinAgeDays: number | null };
  nowMs: number;
  zone: string;
  timeTrusted: boolean;
  /** The door's keypad is in a wrong-PIN lockout. */
  keypadLockedOut: boolean;
  /** The door (or the site) is locked down for cards and PINs: only emergency credential holders pass. */
  lockdown?: boolean;
  /** The site calendar: on a holiday its rule replaces every timed role schedule (24/7 roles are not schedules). */
  holidays?: readonly Holiday[];
}

/** `emergency`: granted through a lockdown by the person's emergency flag. */
export type Decision = { granted: true; via: 'role' | 'group' | 'reservation'; emergency?: true } | { granted: false; reason: DenyReason };

const deny = (reason: DenyReason): Decision => ({ granted: false, reason });
const DAY_MS = 86_400_000;

/** Whether the door accepts this kind of credential at all (card_and_pin takes both, paired by the caller). */
export function modeAccepts(mode: DoorMode, kind: PresentedKind): boolean {
  // A remote admission is not read at the door, so the door's credential mode does not apply to it.
  if (kind === 'Remote') return true;
  return mode === 'card_or_pin' || mode === 'card_and_pin' || (mode === 'pin' ? kind === 'PIN' : kind === 'Card');
}

export function decide(input: DecisionInput): Decision {
  const { facts, door, nowMs, timeTrusted } = input;
  if (!modeAccepts(door.mode, input.presented)) return deny('wrong_mode');
  // During a lockout every PIN is refused, right or wrong, before it is even looked at.
  if (input.presented === 'PIN' && input.keypadLockedOut) return deny('locked_out');
  // A lockdown refuses everyone but emergency credential holders, and an unknown credential looks the same (22).
  const emergencyPass = input.lockdown === true && facts?.person.emergency === true;
  if (input.lockdown === true && !emergencyPass) return deny('lockdown');
  if (!facts) return deny('unknown_credential');
  // A stored time that does not parse (NaN) fails every comparison, which would read as "no limit": refuse instead.
  if (!readable(facts)) return deny('invalid_record');
  // Spent before disabled: the spend that reaches zero also disables the credential, and the door says why.
  if (facts.credential.usesRemaining === 0) return deny('uses_exhausted');
  if (!facts.credential.enabled) return deny('credential_disabled');
  const { person } = facts;
  if (!person.enabled) return deny('person_disabled');
  // Time-bounded rules need a clock that can be trusted; an untrusted one fails them closed.
  if (person.validFromMs !== null || person.validToMs !== null) {
    if (!timeTrusted) return deny('clock_untrusted');
    if ((person.validFromMs !== null && nowMs < person.validFromMs) || (person.validToMs !== null && nowMs >= person.validToMs)) {
      return deny('outside_validity');
    }
  }
  if (input.presented === 'PIN' && door.maxPinAgeDays !== null) {
    if (!timeTrusted) return deny('clock_untrusted');
    if (nowMs - facts.credential.createdAtMs >= door.maxPinAgeDays * DAY_MS) return deny('pin_expired');
  }
  const decision = standingOrReserved(facts, door.id, nowMs, input.zone, timeTrusted, input.holidays ?? []);
  return decision.granted && emergencyPass ? { ...decision, emergency: true } : decision;
}

/** Every stored value the decision compares is a real number or time (storage refuses others; older rows may not). */
function readable(f: AccessFacts): boolean {
  const time = (ms: number | null) => ms === null || Number.isFinite(ms);
  const minute = (m: number, max: number) => Number.isInteger(m) && m >= 0 && m <= max;
  return (
    Number.isFinite(f.credential.createdAtMs) &&
    time(f.person.validFromMs) &&
    time(f.person.validToMs) &&
    f.reservations.every((r) => Number.isFinite(r.startMs) && Number.isFinite(r.endMs)) &&
    (f.groups ?? []).every((g) => g.window === null || (Number.isFinite(g.window.startMs) && Number.isFinite(g.window.endMs))) &&
    [...f.roles, ...(f.groups ?? [])].every((r) =>
      r.slots.every((s) => Number.isInteger(s.days) && s.days >= 1 && s.days <= 127 && minute(s.startMinute, 1439) && minute(s.endMinute, 1440)),
    )
  );
}

/**
 * Roles and groups are one kind of grant (doors, weekly slots, and for a group reservation a window), checked by one
 * path: a grant for this door with neither slots nor window opens at any time; any other needs a trusted clock. A
 * holiday replaces weekly slots (site-calendar.ts); a window alone (a group reservation without slots) is not
 * affected, as a person's own reservation is not.
 */
function standingOrReserved(
  facts: AccessFacts,
  doorId: number,
  nowMs: number,
  zone: string,
  timeTrusted: boolean,
  holidays: readonly Holiday[],
): Decision {
  const forDoor = (doors: number[]) => doors.length === 0 || doors.includes(doorId);
  const grants = [
    ...facts.roles.map((r) => ({ ...r, window: null, via: 'role' as const })),
    ...(facts.groups ?? []).map((g) => ({ ...g, via: 'group' as const })),
  ].filter((g) => forDoor(g.doors));
  const always = grants.find((g) => g.slots.length === 0 && g.window === null);
  if (always) return { granted: true, via: always.via };
  const timed = grants.filter((g) => g.slots.length > 0 || g.window !== null);
  const reservations = facts.reservations.filter((r) => forDoor(r.doors));
  if (timeTrusted) {
    const open = timed.find(
      (g) =>
        (g.window === null || (g.window.startMs <= nowMs && nowMs < g.window.endMs)) &&
        (g.slots.length === 0 || slotsCoverWithHolidays(g.slots, holidays, nowMs, zone)),
    );
    if (open) return { granted: true, via: open.via };
    if (reservations.some((r) => r.startMs <= nowMs && nowMs < r.endMs)) return { granted: true, via: 'reservation' };
  } else if (timed.length > 0 || reservations.length > 0) {
    return deny('clock_untrusted');
  }
  // Outside every weekly slot it holds: outside_schedule; otherwise no reservation (or group reservation) is running.
  return deny(
    timed.some((g) => g.slots.length > 0 && (g.window === null || (g.window.startMs <= nowMs && nowMs < g.window.endMs)))
      ? 'outside_schedule'
      : 'no_reservation',
  );
}
