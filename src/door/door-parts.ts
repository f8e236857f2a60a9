/**
 * What one door is built from, shared by the modules that make up DoorController (door-controller.ts): the
 * entry path (entry-path.ts), the access decisions and their events (access-decisions.ts) and the remote paths
 * (remote-access.ts). One object of this shape per door, made by the controller; the modules hold it and never
 * replace its parts.
 */
import type { DoorConfig } from '../config/schema.js';
import type { AccessFacts, CredentialKind, DenyReason, PresentedKind } from '../core/decision.js';
import type { DoorEventType } from '../core/event-types.js';
import type { LockoutPolicy, PersistedLockout } from '../core/lockout.js';
import type { DuressRule } from '../core/duress.js';
import type { PinRules } from '../core/pin-rules.js';
import type { LockdownState } from '../core/site-calendar.js';
import type { Clock } from '../drivers/clock.js';
import type { DoorHardware, Listeners } from '../drivers/door-hardware.js';
import type { Logger } from '../log.js';
import type { PersistedDoorMode } from '../storage/door-mode-repo.js';
import type { EventSink } from '../storage/event-writer.js';
import type { EventFields, EventMoment } from '../storage/new-event.js';
import type { Annunciator } from './annunciator.js';
import type { CalendarSource, DoorModes, ModesStatus, SiteLockdown } from './door-modes.js';
import type { GuardStatus, GuessGuard } from './guess-guard.js';
import type { DoorRelay } from './relay.js';

export interface DoorDeps {
  door: DoorConfig;
  hw: DoorHardware;
  clock: Clock;
  zone: string;
  /** This door's PIN rules (config/policy.ts doorPinRules): lengths, and whether weak PINs are refused here. */
  pinRules: PinRules;
  /** The site's duress rule (core/duress.ts); off when absent. */
  duress?: DuressRule;
  lockoutPolicy: LockoutPolicy;
  /** Card-guessing backoff for this door's reader; null when off. */
  cardPolicy: LockoutPolicy | null;
  /**
   * Finds the facts for a presented value; the value is hashed inside and not kept. May throw when storage fails:
   * the door then denies (storage_error) and reports it through onLookup.
   */
  lookup: (kind: CredentialKind, value: string) => AccessFacts | null;
  events: EventSink;
  log: Logger;
  resumedLockout?: PersistedLockout | undefined;
  resumedCardBackoff?: PersistedLockout | undefined;
  /** Called after every lookup: null when it worked, the error when storage failed. */
  onLookup?: (err: Error | null) => void;
  /** Called when what the door shows changes: the relay locks or unlocks, a lockout starts or ends. */
  onStateChange?: () => void;
  /** Shifts and holidays (storage/calendar-lookup.ts); none when absent. */
  calendar?: CalendarSource;
  /** The site-wide lockdown (site-lockdown.ts); none when absent. */
  site?: SiteLockdown;
  /** The modes saved before a restart (storage/door-mode-repo.ts). */
  resumedMode?: PersistedDoorMode | undefined;
}

export interface DoorStatus {
  id: number;
  name: string;
  relay: 'locked' | 'unlocked';
  unlock_count: number;
  led: string;
  buzzer: string;
  door: 'open' | 'closed' | 'unknown';
  lockout: GuardStatus;
  card_backoff: GuardStatus | null;
  card_failures: number;
  held_unlocked: boolean;
  mode: ModesStatus['mode'];
  lockdown: ModesStatus['lockdown'];
  door_lockdown: LockdownState | null;
  site_lockdown: boolean;
  auto_unlock: ModesStatus['auto_unlock'];
}

/** What one entry at the door came to (for `keypadd sim key` and tests); never holds the PIN. */
export interface EntryOutcome {
  credential_type: PresentedKind | 'Card+PIN';
  granted: boolean;
  reason: DenyReason | null;
  person_name: string | null;
}

/**
 * The door's parts and the few services every path uses. Contract: `emit` and every event recorded through
 * `deps.events` carry `moment()`; `watchExpiry` must follow every change to a guard's lockout (it tells the
 * watchers and re-arms the timer that reports its end); `settleAfter` adds a result still to be shown to what
 * DoorController.settled() waits for; `stopped` turns true once the door is stopped and never back.
 */
export interface DoorParts {
  readonly deps: DoorDeps;
  readonly relay: DoorRelay;
  readonly annunciator: Annunciator;
  readonly keypadGuard: GuessGuard;
  readonly readerGuard: GuessGuard | null;
  readonly modes: DoorModes;
  readonly outcomes: Listeners<EntryOutcome>;
  readonly stopped: boolean;
  /** `source` names who or what caused it (an API token, "mqtt", a reader), in the event's own column. */
  emit(type: DoorEventType, label: string, extra?: Pick<EventFields, 'source' | 'reason' | 'detail'>): void;
  moment(): EventMoment;
  watchExpiry(): void;
  settleAfter(p: Promise<unknown>): void;
}

export const NO_CALENDAR: CalendarSource = { shifts: () => [], holidays: () => [] };
