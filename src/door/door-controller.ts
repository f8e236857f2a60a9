/**
 * One door: keys and cards in, decisions made locally, relay, LED and buzzer out, every outcome an event.
 * The relay acts before the event is handed to the writer, and nothing here waits on storage or the network, with
 * one exception that costs the person at the door nothing: the result of a wrong guess is shown only once the
 * guess is stored, so that a crash or power cut right after it cannot hand the guesser fresh tries.
 */
import type { DoorConfig } from '../config/schema.js';
import { decide, type AccessFacts, type CredentialKind, type DenyReason } from '../core/decision.js';
import { DOOR_EVENT_CODES, denyCode, denyLabel, grantCode, grantLabel, type DoorEventType } from '../core/event-codes.js';
import { KeyCollector, type Key } from '../core/key-collector.js';
import type { LockoutPolicy, PersistedLockout } from '../core/lockout.js';
import { pinWeakness } from '../core/pin-rules.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Clock } from '../drivers/clock.js';
import { Listeners, type DoorHardware, type HardwareStatus } from '../drivers/door-hardware.js';
import type { Logger } from '../log.js';
import { newEventId } from '../storage/event-id.js';
import type { NewEvent } from '../storage/event-repo.js';
import type { EventSink } from '../storage/event-writer.js';
import { readerKey } from '../storage/lockout-repo.js';
import { Annunciator } from './annunciator.js';
import { DoorRelay } from './relay.js';
import { DoorSensors } from './door-sensors.js';
import { GuessGuard, type GuardStatus } from './guess-guard.js';
import { hardwareEvent } from './hardware-events.js';

export interface DoorDeps {
  door: DoorConfig;
  hw: DoorHardware;
  clock: Clock;
  zone: string;
  /** This door's PIN policy: lengths, and whether weak PINs are refused here. */
  pinPolicy: { min: number; max: number; rejectWeak: boolean };
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
}

/** What one entry at the door came to (for `keypadd sim key` and tests); never holds the PIN. */
export interface EntryOutcome {
  credential_type: CredentialKind | 'Card+PIN';
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
  private readonly outcomes = new Listeners<EntryOutcome>();
  private pendingCard: { personId: number; credentialId: string; until: number } | null = null;
  private entryTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private settling: Promise<unknown> = Promise.resolve();
  private cardFailures = 0;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly d: DoorDeps) {
    this.collector = new KeyCollector({ maxLength: d.pinPolicy.max, timeoutMs: d.door.keypad.timeout_s * 1000, submitOnLength: d.door.keypad.submit_on_length });
    this.relay = new DoorRelay(d.hw.relay, { failSafe: d.door.fail_safe, maxUnlockMs: d.door.max_unlock_ms }, d.clock, (ms) =>
      this.emit('relay_forced_lock', `${d.door.name}: relay forced locked after ${Math.round(ms / 1000)} s unlocked`),
    );
    this.annunciator = new Annunciator(d.hw.led, d.hw.buzzer);
    this.sensors = new DoorSensors(d.hw, d.door, this.relay, d.clock, (type, label) => this.emit(type, label), () => this.relay.unlock(d.door.unlock_ms));
    const guard = (input: 'keypad' | 'reader', key: number, policy: LockoutPolicy, resumed: PersistedLockout | undefined) =>
      new GuessGuard({ input, key, doorName: d.door.name, policy, clock: d.clock, sink: d.events, emit: (t, l, x) => this.emit(t, l, { detail: x }), resumed });
    this.keypadGuard = guard('keypad', d.door.id, d.lockoutPolicy, d.resumedLockout);
    this.readerGuard = d.cardPolicy ? guard('reader', readerKey(d.door.id), d.cardPolicy, d.resumedCardBackoff) : null;
    this.relay.onChange = () => d.onStateChange?.();
  }

  get id(): number {
    return this.d.door.id;
  }

  /** Drives the relay locked first, then listens. */
  start(): void {
    this.relay.start();
    const { hw } = this.d;
    if (hw.keypad) this.unsubscribe.push(hw.keypad.onKey((k) => this.guard(() => this.onKey(k))));
    if (hw.reader) this.unsubscribe.push(hw.reader.onCard((n) => this.guard(() => this.onCard(n))));
    this.unsubscribe.push(...this.sensors.start());
    if (hw.onStatus) this.unsubscribe.push(hw.onStatus((st) => this.guard(() => this.onHardwareStatus(st))));
    if (this.keypadGuard.lockedOut) this.annunciator.show('locked_out', this.keypadGuard.remainingMs);
    this.watchExpiry();
  }

  /** Locks, stops listening, and saves the lockout time still to serve. */
  stop(): void {
    this.stopped = true;
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
      id: this.d.door.id,
      name: this.d.door.name,
      relay: this.relay.locked ? 'locked' : 'unlocked',
      unlock_count: this.relay.unlockCount,
      ...this.annunciator.state,
      door: this.sensors.doorState,
      lockout: this.keypadGuard.status(),
      card_backoff: this.readerGuard?.status() ?? null,
      card_failures: this.cardFailures,
      held_unlocked: this.relay.isHeld,
    };
  }

  /** Ends the keypad lockout and the card backoff, and forgets their failures (an admin's decision). */
  resetLockout(source: string): void {
    this.keypadGuard.reset();
    this.readerGuard?.reset();
    this.watchExpiry();
    this.emit('lockout_reset', `${this.d.door.name}: keypad lockout reset`, { source });
  }

  private onHardwareStatus(st: HardwareStatus): void {
    const e = hardwareEvent(this.d.door.name, st);
    if (st.type === 'tamper') this.d.log.error(e.label);
    else if (st.type !== 'read_error') this.d.log.warn(e.label);
    this.emit(e.type, e.label, { source: e.source, detail: e.detail });
  }

  /** A remote unlock (MQTT, API): `source` names who asked; the duration is capped by max_unlock_ms. */
  remoteUnlock(source: string, durationMs?: number): void {
    const ms = Math.min(durationMs ?? this.d.door.unlock_ms, this.d.door.max_unlock_ms);
    this.relay.unlock(ms);
    this.annunciator.show('granted', ms);
    this.emit('remote_unlock', `${this.d.door.name} unlocked remotely (${source})`, { source, detail: { duration_ms: ms } });
  }

  /** Holds the door unlocked until backToNormal (DoorFlow's channel unlock). */
  holdUnlocked(source: string): void {
    this.relay.hold();
    this.emit('remote_hold_unlocked', `${this.d.door.name} held unlocked (${source})`, { source });
  }

  backToNormal(source: string): void {
    this.relay.release();
    this.emit('remote_normal', `${this.d.door.name} back to normal (${source})`, { source });
  }

  remoteLock(source: string): void {
    this.relay.lock();
    this.emit('remote_lock', `${this.d.door.name} locked remotely (${source})`, { source });
  }

  commandRefused(source: string, command: string | null, reason: string): void {
    this.emit('command_refused', `${this.d.door.name}: ${command ?? 'command'} from ${source} refused: ${reason}`, { source, reason, detail: { command } });
  }

  /** A driver callback must never take the daemon down: report and carry on. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.d.log.error(`door ${this.d.door.id}: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private onKey(key: Key): void {
    const mono = this.d.clock.monoMs();
    const r = this.collector.press(key, mono);
    clearTimeout(this.entryTimer);
    const deadline = this.collector.deadline;
    if (deadline !== null) this.entryTimer = setTimeout(() => this.collector.expire(this.d.clock.monoMs()), deadline - mono);
    if (r.kind === 'submit') this.onPin(r.pin);
    else if (r.kind === 'overflow') this.wrongPin(null, 'unknown_credential', { entry: 'too_long' });
  }

  private onPin(pin: string): void {
    const mono = this.d.clock.monoMs();
    const door = this.d.door;
    if (door.mode === 'card') return this.deny('PIN', null, 'wrong_mode');
    const pending = this.pendingCard && this.pendingCard.until > mono ? this.pendingCard : null;
    if (door.mode === 'card_and_pin' && !pending) return this.deny('PIN', null, 'wrong_mode', { expected: 'card first' });
    const lockedOut = this.keypadGuard.lockedOut;
    // A locked-out keypad does not even look the PIN up; nor is a PIN outside this door's policy looked up.
    const found = lockedOut || !this.acceptablePin(pin) ? { facts: null } : this.find('PIN', pin);
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
      return this.grant(pending ? 'Card+PIN' : 'PIN', facts!);
    }
    // Wrong PINs count toward the lockout (and, during one, toward the alarm); a right PIN refused for another
    // reason (schedule, validity...) is not a guess.
    if (decision.reason === 'unknown_credential' || decision.reason === 'locked_out') return this.wrongPin(facts, decision.reason);
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
      const guess = reason === 'unknown_credential' || reason === 'locked_out' || reason === 'storage_error';
      if (guess && this.readerGuard) {
        this.readerGuard.failure();
        this.watchExpiry();
      }
      return this.deny('Card', facts, reason, detail, guess && this.readerGuard !== null);
    }
    if (this.d.door.mode === 'card_and_pin') {
      const windowMs = this.d.door.card_and_pin_window_s * 1000;
      this.pendingCard = { personId: facts!.person.id, credentialId: facts!.credential.id, until: this.d.clock.monoMs() + windowMs };
      this.annunciator.show('awaiting_pin', windowMs);
      return;
    }
    this.grant('Card', facts!);
  }

  /** A lookup that reports storage failures instead of throwing them into the input path. */
  private find(kind: CredentialKind, value: string): { facts: AccessFacts | null; failed?: boolean } {
    try {
      const facts = this.d.lookup(kind, value);
      this.d.onLookup?.(null);
      return { facts };
    } catch (err) {
      this.d.onLookup?.(err as Error);
      return { facts: null, failed: true };
    }
  }

  private decideNow(kind: CredentialKind, facts: AccessFacts | null, keypadLockedOut: boolean) {
    const { door, clock } = this.d;
    return decide({
      presented: kind,
      facts,
      door: { id: door.id, mode: door.mode, maxPinAgeDays: door.max_pin_age_days ?? null },
      nowMs: clock.wallMs(),
      zone: this.d.zone,
      timeTrusted: clock.trusted(),
      keypadLockedOut,
    });
  }

  private acceptablePin(pin: string): boolean {
    const p = this.d.pinPolicy;
    return pin.length >= p.min && pin.length <= p.max && !(p.rejectWeak && pinWeakness(pin) !== null);
  }

  /** A PIN attempt that counts as a guess: counted (and saved), then denied once stored. */
  private wrongPin(facts: AccessFacts | null, reason: DenyReason, detail?: Record<string, unknown>): void {
    this.keypadGuard.failure();
    this.watchExpiry();
    this.deny('PIN', facts, reason, detail, true);
  }

  private grant(kind: CredentialKind | 'Card+PIN', facts: AccessFacts): void {
    // The relay first: the person at the door must not wait for anything else.
    this.relay.unlock(this.d.door.unlock_ms);
    this.annunciator.show('granted', this.d.door.unlock_ms);
    this.record({
      event_type: 'access_granted',
      event_code: grantCode(kind),
      event_label: grantLabel(facts.person.name, kind),
      person_id: facts.person.id,
      person_name: facts.person.name,
      credential_id: facts.credential.id,
      credential_type: kind,
    });
    this.outcomes.emit({ credential_type: kind, granted: true, reason: null, person_name: facts.person.name });
  }

  /** Records the denial; shows it at once, or (a guess) once it is stored, so a crash cannot undo the count. */
  private deny(kind: CredentialKind, facts: AccessFacts | null, reason: DenyReason, detail?: Record<string, unknown>, guess = false): void {
    this.record({
      event_type: 'access_denied',
      event_code: denyCode(kind, reason),
      event_label: denyLabel(facts?.person.name ?? null, kind, reason),
      person_id: facts?.person.id ?? null,
      person_name: facts?.person.name ?? null,
      credential_id: facts?.credential.id ?? null,
      credential_type: kind,
      reason,
      detail: detail ?? null,
    });
    const show = () => {
      const lockedGuard = kind === 'PIN' ? this.keypadGuard : this.readerGuard;
      if (lockedGuard?.lockedOut) this.annunciator.show('locked_out', lockedGuard.remainingMs);
      else this.annunciator.show('denied', 1000);
      this.outcomes.emit({ credential_type: kind, granted: false, reason, person_name: facts?.person.name ?? null });
    };
    if (!guess) return show();
    const shown = this.d.events.whenStored().then((stored) => {
      if (this.stopped) return; // a stopped door shows nothing (its LED timers would keep the process alive)
      if (!stored) this.d.log.warn(`door ${this.d.door.id}: showing a refusal that could not be stored yet`);
      show();
    });
    this.settling = Promise.all([this.settling, shown]);
  }

  /** Tells the state's watchers when a lockout or backoff ends, as they are told when it starts. */
  private watchExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.d.onStateChange?.();
    const ends = [this.keypadGuard.lockedUntil, this.readerGuard?.lockedUntil ?? null].filter((t): t is number => t !== null);
    if (ends.length === 0) return;
    const wait = Math.min(...ends) - this.d.clock.monoMs();
    this.expiryTimer = setTimeout(() => this.watchExpiry(), Math.min(Math.max(wait, 0) + 5, 2 ** 31 - 1));
    this.expiryTimer.unref?.();
  }

  /** `source` names who or what caused it (an API token, "mqtt", a reader), in the event's own column. */
  private emit(type: DoorEventType, label: string, extra: { source?: string; reason?: string; detail?: Record<string, unknown> } = {}): void {
    this.record({ event_type: type, event_code: DOOR_EVENT_CODES[type], event_label: label, source: extra.source ?? null, reason: extra.reason ?? null, detail: extra.detail ?? null });
  }

  private record(e: Omit<NewEvent, 'door_id' | 'created_at'>): void {
    const wall = this.d.clock.wallMs();
    this.d.events.record({ ...e, door_id: this.d.door.id, time_trusted: this.d.clock.trusted(), uid: newEventId(wall), created_at: toIsoSeconds(wall) });
  }
}
