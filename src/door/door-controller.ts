/**
 * One door: keys and cards in, decisions made locally, relay, LED and buzzer out, every outcome an event.
 * The relay acts before the event is handed to the writer, and nothing here waits on storage or the network, with
 * one exception that costs the person at the door nothing: the result of a wrong guess is shown only once the
 * guess is stored, so that a crash or power cut right after it cannot hand the guesser fresh tries.
 */
import type { DoorConfig } from '../config/schema.js';
import {
  decide,
  type AccessFacts,
  type CredentialKind,
  type Decision,
  type DenyReason,
  type DoorMode,
  type PresentedKind,
} from '../core/decision.js';
import { denyCode, denyLabel, grantCode, grantLabel } from '../core/event-codes.js';
import type { DoorEventType } from '../core/event-types.js';
import { KeyCollector, type Key } from '../core/key-collector.js';
import type { LockoutPolicy, PersistedLockout } from '../core/lockout.js';
import { doorAcceptsPin, type PinRules } from '../core/pin-rules.js';
import { doorTimings } from '../config/policy.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Clock } from '../drivers/clock.js';
import { Listeners, type DoorHardware, type HardwareStatus } from '../drivers/door-hardware.js';
import type { Logger } from '../log.js';
import { accessEvent, newEvent, type EventFields, type EventMoment } from '../storage/new-event.js';
import type { EventSink } from '../storage/event-writer.js';
import { readerKey } from '../storage/lockout-repo.js';
import { Annunciator } from './annunciator.js';
import { DoorRelay } from './relay.js';
import { DoorSensors } from './door-sensors.js';
import { GuessGuard, type GuardStatus } from './guess-guard.js';
import { hardwareEvent } from './hardware-events.js';
import { DoorModes, type CalendarSource, type ModeRefusal, type ModesStatus, type SiteLockdown } from './door-modes.js';
import type { LockdownState } from '../core/site-calendar.js';
import type { PersistedDoorMode } from '../storage/door-mode-repo.js';

const NO_CALENDAR: CalendarSource = { shifts: () => [], holidays: () => [] };
const NO_SITE_LOCKDOWN: SiteLockdown = { state: null };
/** A last-to-leave door relocks at most this long after its shift ends, even if nobody leaves. */
const CLOSING_MAX_MS = 3_600_000;

export interface DoorDeps {
  door: DoorConfig;
  hw: DoorHardware;
  clock: Clock;
  zone: string;
  /** This door's PIN rules (config/policy.ts doorPinRules): lengths, and whether weak PINs are refused here. */
  pinRules: PinRules;
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

export class DoorController {
  private readonly collector: KeyCollector;
  private readonly relay: DoorRelay;
  private readonly annunciator: Annunciator;
  private readonly sensors: DoorSensors;
  private readonly keypadGuard: GuessGuard;
  private readonly readerGuard: GuessGuard | null;
  private readonly modes: DoorModes;
  private readonly outcomes = new Listeners<EntryOutcome>();
  private pendingCard: { personId: number; credentialId: string; until: number } | null = null;
  private entryTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private settling: Promise<unknown> = Promise.resolve();
  private cardFailures = 0;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: DoorDeps) {
    this.collector = new KeyCollector({
      maxLength: deps.pinRules.max_length,
      timeoutMs: doorTimings(deps.door).entryTimeoutMs,
      submitOnLength: deps.door.keypad.submit_on_length,
    });
    this.relay = new DoorRelay(deps.hw.relay, { failSafe: deps.door.fail_safe, maxUnlockMs: deps.door.max_unlock_ms }, deps.clock, (ms) =>
      this.emit('relay_forced_lock', `${deps.door.name}: relay forced locked after ${Math.round(ms / 1000)} s unlocked`),
    );
    this.annunciator = new Annunciator(deps.hw.led, deps.hw.buzzer);
    this.sensors = new DoorSensors(
      deps.hw,
      deps.door,
      this.relay,
      deps.clock,
      (type, label) => this.emit(type, label),
      () => {
        // A REX press is the last person leaving (last-to-leave), then opens the door for them.
        this.modes.onAccess('leave');
        this.relay.unlock(deps.door.unlock_ms);
      },
      () => this.modes.lockdown.rex,
    );
    const guard = (input: 'keypad' | 'reader', key: number, policy: LockoutPolicy, resumed: PersistedLockout | undefined) =>
      new GuessGuard({
        input,
        key,
        doorName: deps.door.name,
        policy,
        clock: deps.clock,
        sink: deps.events,
        emit: (t, l, x) => this.emit(t, l, { detail: x }),
        resumed,
      });
    this.keypadGuard = guard('keypad', deps.door.id, deps.lockoutPolicy, deps.resumedLockout);
    this.readerGuard = deps.cardPolicy ? guard('reader', readerKey(deps.door.id), deps.cardPolicy, deps.resumedCardBackoff) : null;
    this.relay.onChange = () => deps.onStateChange?.();
    this.modes = new DoorModes({
      doorName: deps.door.name,
      relay: this.relay,
      clock: deps.clock,
      zone: deps.zone,
      calendar: deps.calendar ?? NO_CALENDAR,
      site: deps.site ?? NO_SITE_LOCKDOWN,
      closingMaxMs: CLOSING_MAX_MS,
      resumed: deps.resumedMode,
      save: (mode) => deps.events.saveDoorMode(deps.door.id, mode, toIsoSeconds(deps.clock.wallMs())),
      emit: (type, label, extra) => this.emit(type, label, extra),
      notify: () => deps.onStateChange?.(),
    });
  }

  get id(): number {
    return this.deps.door.id;
  }

  /** Drives the relay locked first, then listens. */
  start(): void {
    this.relay.start();
    const { hw } = this.deps;
    if (hw.keypad) this.unsubscribe.push(hw.keypad.onKey((k) => this.guard(() => this.onKey(k))));
    if (hw.reader) this.unsubscribe.push(hw.reader.onCard((n) => this.guard(() => this.onCard(n))));
    this.unsubscribe.push(...this.sensors.start());
    if (hw.onStatus) this.unsubscribe.push(hw.onStatus((st) => this.guard(() => this.onHardwareStatus(st))));
    if (this.keypadGuard.lockedOut) this.annunciator.show('locked_out', this.keypadGuard.remainingMs);
    this.watchExpiry();
    this.modes.start();
  }

  /** Locks, stops listening, and saves the lockout time still to serve. */
  stop(): void {
    this.stopped = true;
    this.modes.stop();
    this.relay.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.entryTimer);
    clearTimeout(this.expiryTimer);
    this.sensors.stop();
    this.annunciator.stop();
    this.keypadGuard.save();
    this.readerGuard?.save();
  }

  /** Resolves once every result this door has to show is shown (a wrong guess waits until it is stored). */
  settled(): Promise<void> {
    return this.settling.then(() => undefined);
  }

  onOutcome(listener: (o: EntryOutcome) => void): () => void {
    return this.outcomes.add(listener);
  }

  status(): DoorStatus {
    return {
      id: this.deps.door.id,
      name: this.deps.door.name,
      relay: this.relay.locked ? 'locked' : 'unlocked',
      unlock_count: this.relay.unlockCount,
      ...this.annunciator.state,
      door: this.sensors.doorState,
      lockout: this.keypadGuard.status(),
      card_backoff: this.readerGuard?.status() ?? null,
      card_failures: this.cardFailures,
      held_unlocked: this.relay.isHeld,
      ...this.modes.status(),
    };
  }

  /** Ends the keypad lockout and the card backoff, and forgets their failures (an admin's decision). */
  resetLockout(source: string): void {
    this.keypadGuard.reset();
    this.readerGuard?.reset();
    this.watchExpiry();
    this.emit('lockout_reset', `${this.deps.door.name}: keypad lockout reset`, { source });
  }

  private onHardwareStatus(st: HardwareStatus): void {
    const e = hardwareEvent(this.deps.door.name, st);
    if (st.type === 'tamper') this.deps.log.error(e.label);
    else if (st.type !== 'read_error') this.deps.log.warn(e.label);
    this.emit(e.type, e.label, { source: e.source, detail: e.detail });
  }

  /** A remote unlock (MQTT, API): `source` names who asked; the duration is capped by max_unlock_ms. Refused in lockdown. */
  remoteUnlock(source: string, durationMs?: number): ModeRefusal {
    if (this.modes.lockdown.card) return 'the door is locked down: end the lockdown first';
    const ms = Math.min(durationMs ?? this.deps.door.unlock_ms, this.deps.door.max_unlock_ms);
    this.relay.unlock(ms);
    this.annunciator.show('granted', ms);
    this.emit('remote_unlock', `${this.deps.door.name} unlocked remotely (${source})`, { source, detail: { duration_ms: ms } });
    return null;
  }

  /** Holds the door unlocked until backToNormal, or until `relockAtMs` (DoorFlow's channel unlock). Refused in lockdown. */
  holdUnlocked(source: string, relockAtMs: number | null = null): ModeRefusal {
    return this.modes.hold(source, relockAtMs);
  }

  backToNormal(source: string): void {
    this.modes.normal(source);
  }

  lockdown(l: LockdownState, source: string): void {
    this.modes.setLockdown(l, source);
  }

  unlockdown(source: string): void {
    this.modes.endLockdown(source);
  }

  siteLockdownChanged(source: string, started: boolean): void {
    this.modes.siteChanged(source, started);
  }

  setAutoUnlock(shiftId: number | null, source: string): ModeRefusal {
    return this.modes.setAutoUnlock(shiftId, source);
  }

  /**
   * A remote admission of a named person (DoorFlow's admit_person): the same decision as a keypad entry, with the
   * person's own facts (storage/access-repo.ts personFacts); unlocks when granted. Null facts: no such person.
   */
  admitPerson(facts: AccessFacts | null, source: string): Decision {
    const decision = this.decideNow('Remote', facts, false);
    if (decision.granted) this.grant('Remote', facts!, decision.emergency === true, source);
    else this.deny('Remote', facts, decision.reason, { source });
    return decision;
  }

  /**
   * A remote unlock that carries a PIN (mqtt.homeassistant.require_code): it opens only for a person whose PIN it is
   * and who may pass this door now (the door's credential mode aside: the PIN proves who asks), and the event names
   * them. A wrong PIN counts against this keypad's lockout as one typed here does, so a remote client gets no extra
   * guesses, and during a lockout no PIN is even looked up. Every refusal resolves only once stored (a crash cannot
   * hand out fresh guesses) and looks alike to the caller, so neither the answer nor its timing tells a wrong PIN
   * from a right one refused for its schedule. The PIN is hashed by the lookup and kept nowhere.
   */
  async remoteUnlockWithPin(source: string, pin: string, durationMs?: number): Promise<{ granted: boolean; lockedOut: boolean }> {
    const door = this.deps.door;
    const lockedOut = this.keypadGuard.lockedOut;
    const found = lockedOut || !doorAcceptsPin(pin, this.deps.pinRules) ? { facts: null } : this.find('PIN', pin);
    const facts = found.facts;
    const decision = found.failed ? ({ granted: false, reason: 'storage_error' } as const) : this.decideNow('PIN', facts, lockedOut, 'pin');
    if (decision.granted) {
      const ms = Math.min(durationMs ?? door.unlock_ms, door.max_unlock_ms);
      this.relay.unlock(ms);
      this.annunciator.show('granted', ms);
      this.deps.events.record(
        newEvent(
          'remote_unlock',
          {
            door_id: door.id,
            event_label: `${door.name} unlocked remotely (${source}) with the PIN of ${facts!.person.name}`,
            person_id: facts!.person.id,
            person_name: facts!.person.name,
            credential_id: facts!.credential.id,
            credential_type: 'PIN',
            source,
            detail: { duration_ms: ms },
          },
          this.moment(),
        ),
      );
      return { granted: true, lockedOut: false };
    }
    const reason = decision.reason;
    if (reason === 'unknown_credential' || reason === 'locked_out' || reason === 'storage_error') {
      this.keypadGuard.failure();
      this.watchExpiry();
    }
    this.deps.events.record(
      accessEvent(
        'access_denied',
        denyCode('PIN', reason),
        {
          door_id: door.id,
          event_label: `${denyLabel(facts?.person.name ?? null, 'PIN', reason)} (remote unlock, ${source})`,
          person_id: facts?.person.id ?? null,
          person_name: facts?.person.name ?? null,
          credential_id: facts?.credential.id ?? null,
          credential_type: 'PIN',
          reason,
          source,
        },
        this.moment(),
      ),
    );
    if (this.keypadGuard.lockedOut) this.annunciator.show('locked_out', this.keypadGuard.remainingMs);
    const stored = this.deps.events.whenStored();
    this.settling = Promise.all([this.settling, stored]);
    await stored;
    return { granted: false, lockedOut: this.keypadGuard.lockedOut };
  }

  remoteLock(source: string): void {
    this.relay.lock();
    this.modes.lockNow();
    this.emit('remote_lock', `${this.deps.door.name} locked remotely (${source})`, { source });
  }

  commandRefused(source: string, command: string | null, reason: string): void {
    this.emit('command_refused', `${this.deps.door.name}: ${command ?? 'command'} from ${source} refused: ${reason}`, {
      source,
      reason,
      detail: { command },
    });
  }

  /** A driver callback must never take the daemon down: report and carry on. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.log.error(`door ${this.deps.door.id}: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private onKey(key: Key): void {
    const mono = this.deps.clock.monoMs();
    const r = this.collector.press(key, mono);
    clearTimeout(this.entryTimer);
    const deadline = this.collector.deadline;
    if (deadline !== null) this.entryTimer = setTimeout(() => this.collector.expire(this.deps.clock.monoMs()), deadline - mono);
    if (r.kind === 'submit') this.onPin(r.pin);
    else if (r.kind === 'overflow') this.wrongPin(null, 'unknown_credential', { entry: 'too_long' });
  }

  private onPin(pin: string): void {
    const mono = this.deps.clock.monoMs();
    const door = this.deps.door;
    if (door.mode === 'card') return this.deny('PIN', null, 'wrong_mode');
    const pending = this.pendingCard && this.pendingCard.until > mono ? this.pendingCard : null;
    if (door.mode === 'card_and_pin' && !pending) return this.deny('PIN', null, 'wrong_mode', { expected: 'card first' });
    const lockedOut = this.keypadGuard.lockedOut;
    // A locked-out keypad does not even look the PIN up; nor is a PIN outside this door's policy looked up.
    const found = lockedOut || !doorAcceptsPin(pin, this.deps.pinRules) ? { facts: null } : this.find('PIN', pin);
    if (found.failed) return this.wrongPin(null, 'storage_error');
    const facts = found.facts;
    const decision = this.decideNow('PIN', facts, lockedOut);
    if (decision.granted && pending && facts?.person.id !== pending.personId) {
      // Another person's valid PIN after this card: treated as a wrong PIN.
      return this.wrongPin(null, 'unknown_credential', { card_and_pin: 'mismatch' });
    }
    if (decision.granted) {
      this.pendingCard = null;
      // A grant leaves the lockout as it is: only time or an admin clears wrong PINs (core/lockout.ts).
      return this.grant(pending ? 'Card+PIN' : 'PIN', facts!, decision.emergency === true);
    }
    // Wrong PINs count toward the lockout (and, during one, toward the alarm); a right PIN refused for another
    // reason (schedule, validity...) is not a guess.
    // An unknown PIN refused by a lockdown is a guess too: else a lockdown would let emergency PINs be guessed freely.
    const guess = decision.reason === 'unknown_credential' || decision.reason === 'locked_out' || (decision.reason === 'lockdown' && !facts);
    if (guess) return this.wrongPin(facts, decision.reason);
    this.deny('PIN', facts, decision.reason);
  }

  private onCard(cardNumber: string): void {
    const backedOff = this.readerGuard?.lockedOut === true;
    const found = backedOff ? { facts: null } : this.find('Card', cardNumber);
    const decision = found.failed ? ({ granted: false, reason: 'storage_error' } as const) : this.decideNow('Card', found.facts, false);
    const facts = found.facts;
    if (!decision.granted) {
      this.cardFailures++;
      const reason: DenyReason = backedOff ? 'locked_out' : decision.reason;
      // The number is kept for enrolment (an unknown card) only; a matched card refused for its schedule or validity
      // belongs to someone, and the event names them instead.
      const detail = reason === 'unknown_credential' ? { card_number: cardNumber } : undefined;
      const guess = reason === 'unknown_credential' || reason === 'locked_out' || reason === 'storage_error' || (reason === 'lockdown' && !facts);
      if (guess && this.readerGuard) {
        this.readerGuard.failure();
        this.watchExpiry();
      }
      return this.deny('Card', facts, reason, detail, guess && this.readerGuard !== null);
    }
    if (this.deps.door.mode === 'card_and_pin') {
      const windowMs = doorTimings(this.deps.door).cardAndPinWindowMs;
      this.pendingCard = { personId: facts!.person.id, credentialId: facts!.credential.id, until: this.deps.clock.monoMs() + windowMs };
      this.annunciator.show('awaiting_pin', windowMs);
      return;
    }
    this.grant('Card', facts!, decision.emergency === true);
  }

  /** A lookup that reports storage failures instead of throwing them into the input path. */
  private find(kind: CredentialKind, value: string): { facts: AccessFacts | null; failed?: boolean } {
    try {
      const facts = this.deps.lookup(kind, value);
      this.deps.onLookup?.(null);
      return { facts };
    } catch (err) {
      this.deps.onLookup?.(err as Error);
      return { facts: null, failed: true };
    }
  }

  private decideNow(kind: PresentedKind, facts: AccessFacts | null, keypadLockedOut: boolean, mode: DoorMode = this.deps.door.mode) {
    const { door, clock } = this.deps;
    let holidays: ReturnType<CalendarSource['holidays']> = [];
    try {
      holidays = (this.deps.calendar ?? NO_CALENDAR).holidays();
    } catch {
      // The calendar shares the credential's database: a lookup that worked but a calendar that did not is rare,
      // and the person's own schedule still applies.
    }
    return decide({
      lockdown: this.modes.lockdown.card,
      holidays,
      presented: kind,
      facts,
      door: { id: door.id, mode, maxPinAgeDays: door.max_pin_age_days ?? null },
      nowMs: clock.wallMs(),
      zone: this.deps.zone,
      timeTrusted: clock.trusted(),
      keypadLockedOut,
    });
  }

  /** A PIN attempt that counts as a guess: counted (and saved), then denied once stored. */
  private wrongPin(facts: AccessFacts | null, reason: DenyReason, detail?: Record<string, unknown>): void {
    this.keypadGuard.failure();
    this.watchExpiry();
    this.deny('PIN', facts, reason, detail, true);
  }

  private grant(kind: PresentedKind | 'Card+PIN', facts: AccessFacts, emergency = false, source: string | null = null): void {
    // The relay first: the person at the door must not wait for anything else.
    this.relay.unlock(this.deps.door.unlock_ms);
    // First-person-in starts the shift; after it, the last to leave ends it.
    this.modes.onAccess('grant');
    this.annunciator.show('granted', this.deps.door.unlock_ms);
    this.deps.events.record(
      accessEvent(
        'access_granted',
        grantCode(kind),
        {
          door_id: this.deps.door.id,
          event_label: grantLabel(facts.person.name, kind, emergency),
          person_id: facts.person.id,
          person_name: facts.person.name,
          credential_id: facts.credential.id,
          credential_type: kind,
          source,
          detail: emergency ? { emergency: true } : null,
        },
        this.moment(),
      ),
    );
    this.outcomes.emit({ credential_type: kind, granted: true, reason: null, person_name: facts.person.name });
  }

  /** Records the denial; shows it at once, or (a guess) once it is stored, so a crash cannot undo the count. */
  private deny(kind: PresentedKind, facts: AccessFacts | null, reason: DenyReason, detail?: Record<string, unknown>, guess = false): void {
    this.deps.events.record(
      accessEvent(
        'access_denied',
        denyCode(kind, reason),
        {
          door_id: this.deps.door.id,
          event_label: denyLabel(facts?.person.name ?? null, kind, reason),
          person_id: facts?.person.id ?? null,
          person_name: facts?.person.name ?? null,
          credential_id: facts?.credential.id ?? null,
          credential_type: kind,
          reason,
          detail: detail ?? null,
        },
        this.moment(),
      ),
    );
    const show = () => {
      const lockedGuard = kind === 'PIN' ? this.keypadGuard : kind === 'Card' ? this.readerGuard : null;
      if (lockedGuard?.lockedOut) this.annunciator.show('locked_out', lockedGuard.remainingMs);
      else this.annunciator.show('denied', 1000);
      this.outcomes.emit({ credential_type: kind, granted: false, reason, person_name: facts?.person.name ?? null });
    };
    if (!guess) return show();
    const shown = this.deps.events.whenStored().then((stored) => {
      if (this.stopped) return; // a stopped door shows nothing (its LED timers would keep the process alive)
      if (!stored) this.deps.log.warn(`door ${this.deps.door.id}: showing a refusal that could not be stored yet`);
      show();
    });
    this.settling = Promise.all([this.settling, shown]);
  }

  /** Tells the state's watchers when a lockout or backoff ends, as they are told when it starts. */
  private watchExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.deps.onStateChange?.();
    const ends = [this.keypadGuard.lockedUntil, this.readerGuard?.lockedUntil ?? null].filter((t): t is number => t !== null);
    if (ends.length === 0) return;
    const wait = Math.min(...ends) - this.deps.clock.monoMs();
    this.expiryTimer = setTimeout(() => this.watchExpiry(), Math.min(Math.max(wait, 0) + 5, 2 ** 31 - 1));
    this.expiryTimer.unref?.();
  }

  /** `source` names who or what caused it (an API token, "mqtt", a reader), in the event's own column. */
  private emit(type: DoorEventType, label: string, extra: Pick<EventFields, 'source' | 'reason' | 'detail'> = {}): void {
    this.deps.events.record(newEvent(type, { door_id: this.deps.door.id, event_label: label, ...extra }, this.moment()));
  }

  private moment(): EventMoment {
    return { wallMs: this.deps.clock.wallMs(), trusted: this.deps.clock.trusted() };
  }
}
