/**
 * One door: keys and cards in, decisions made locally, relay, LED and buzzer out, every outcome an event.
 * The relay acts before the event is handed to the writer; nothing here waits on storage or the network.
 */
import type { DoorConfig } from '../config/schema.js';
import { decide, type AccessFacts, type CredentialKind, type DenyReason } from '../core/decision.js';
import { DOOR_EVENT_CODES, denyCode, denyLabel, grantCode, grantLabel, type EventType } from '../core/event-codes.js';
import { KeyCollector, type Key } from '../core/key-collector.js';
import * as lockout from '../core/lockout.js';
import { pinWeakness } from '../core/pin-rules.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Clock } from '../drivers/clock.js';
import type { DoorHardware, HardwareStatus } from '../drivers/door-hardware.js';
import type { Logger } from '../log.js';
import { newEventId } from '../storage/event-id.js';
import type { NewEvent } from '../storage/event-repo.js';
import type { EventSink } from '../storage/event-writer.js';
import { Annunciator } from './annunciator.js';
import { DoorRelay } from './relay.js';
import { DoorSensors } from './door-sensors.js';
import { hardwareEvent } from './hardware-events.js';

export interface DoorDeps {
  door: DoorConfig;
  hw: DoorHardware;
  clock: Clock;
  zone: string;
  /** This door's PIN policy: lengths, and whether weak PINs are refused here. */
  pinPolicy: { min: number; max: number; rejectWeak: boolean };
  lockoutPolicy: lockout.LockoutPolicy;
  /** Finds the facts for a presented value; the value is hashed inside and not kept. */
  lookup: (kind: CredentialKind, value: string) => AccessFacts | null;
  events: EventSink;
  log: Logger;
  resumedLockout?: lockout.PersistedLockout | undefined;
  /** Called when the relay locks or unlocks. */
  onRelayChange?: () => void;
}

export interface DoorStatus {
  id: number;
  name: string;
  relay: 'locked' | 'unlocked';
  unlock_count: number;
  led: string;
  buzzer: string;
  door: 'open' | 'closed' | 'unknown';
  lockout: { active: boolean; until: string | null; level: number; consecutive_failures: number };
  card_failures: number;
  held_unlocked: boolean;
}

export class DoorController {
  private readonly collector: KeyCollector;
  private readonly relay: DoorRelay;
  private readonly annunciator: Annunciator;
  private readonly sensors: DoorSensors;
  private lockoutState: lockout.LockoutState;
  private pendingCard: { personId: number; credentialId: string; until: number } | null = null;
  private entryTimer: NodeJS.Timeout | undefined;
  private cardFailures = 0;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly d: DoorDeps) {
    this.collector = new KeyCollector({
      maxLength: d.pinPolicy.max,
      timeoutMs: d.door.keypad.timeout_s * 1000,
      submitOnLength: d.door.keypad.submit_on_length,
    });
    this.relay = new DoorRelay(d.hw.relay, { failSafe: d.door.fail_safe, maxUnlockMs: d.door.max_unlock_ms }, d.clock, (ms) =>
      this.emit('relay_forced_lock', DOOR_EVENT_CODES.relay_forced_lock, `${d.door.name}: relay forced locked after ${Math.round(ms / 1000)} s unlocked`),
    );
    this.annunciator = new Annunciator(d.hw.led, d.hw.buzzer);
    this.sensors = new DoorSensors(d.hw, d.door, this.relay, d.clock, (type, label) => this.emit(type, DOOR_EVENT_CODES[type as keyof typeof DOOR_EVENT_CODES], label), () =>
      this.relay.unlock(d.door.unlock_ms),
    );
    this.lockoutState = d.resumedLockout ? lockout.resumeLockout(d.resumedLockout, d.clock.monoMs()) : lockout.initialLockout();
    this.relay.onChange = d.onRelayChange ?? null;
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
    if (lockout.isLockedOut(this.lockoutState, this.d.clock.monoMs())) {
      this.annunciator.show('locked_out', lockout.remainingMs(this.lockoutState, this.d.clock.monoMs()));
    }
  }

  /** Locks, stops listening, and saves the lockout time still to serve. */
  stop(): void {
    this.relay.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.entryTimer);
    this.sensors.stop();
    this.annunciator.stop();
    this.persistLockout();
  }

  status(): DoorStatus {
    const mono = this.d.clock.monoMs();
    const remaining = lockout.remainingMs(this.lockoutState, mono);
    return {
      id: this.d.door.id,
      name: this.d.door.name,
      relay: this.relay.locked ? 'locked' : 'unlocked',
      unlock_count: this.relay.unlockCount,
      ...this.annunciator.state,
      door: this.sensors.doorState,
      lockout: {
        active: remaining > 0,
        until: remaining > 0 ? new Date(this.d.clock.wallMs() + remaining).toISOString() : null,
        level: this.lockoutState.level,
        consecutive_failures: this.lockoutState.consecutive,
      },
      card_failures: this.cardFailures,
      held_unlocked: this.relay.isHeld,
    };
  }

  resetLockout(source: string): void {
    this.lockoutState = lockout.initialLockout();
    this.persistLockout();
    this.emit('lockout_reset', DOOR_EVENT_CODES.lockout_reset, `${this.d.door.name}: keypad lockout reset`, { source });
  }

  private onHardwareStatus(st: HardwareStatus): void {
    const e = hardwareEvent(this.d.door.name, st);
    if (st.type === 'tamper') this.d.log.error(e.label);
    else if (st.type !== 'read_error') this.d.log.warn(e.label);
    this.emit(e.type, e.code, e.label, e.detail);
  }

  /** A remote unlock (MQTT, API): `source` names who asked; the duration is capped by max_unlock_ms. */
  remoteUnlock(source: string, durationMs?: number): void {
    const ms = Math.min(durationMs ?? this.d.door.unlock_ms, this.d.door.max_unlock_ms);
    this.relay.unlock(ms);
    this.annunciator.show('granted', ms);
    this.emit('remote_unlock', DOOR_EVENT_CODES.remote_unlock, `${this.d.door.name} unlocked remotely (${source})`, { source, duration_ms: ms });
  }

  /** Holds the door unlocked until backToNormal (DoorFlow's channel unlock). */
  holdUnlocked(source: string): void {
    this.relay.hold();
    this.emit('remote_hold_unlocked', DOOR_EVENT_CODES.remote_hold_unlocked, `${this.d.door.name} held unlocked (${source})`, { source });
  }

  backToNormal(source: string): void {
    this.relay.release();
    this.emit('remote_normal', DOOR_EVENT_CODES.remote_normal, `${this.d.door.name} back to normal (${source})`, { source });
  }

  remoteLock(source: string): void {
    this.relay.lock();
    this.emit('remote_lock', DOOR_EVENT_CODES.remote_lock, `${this.d.door.name} locked remotely (${source})`, { source });
  }

  commandRefused(source: string, command: string | null, reason: string): void {
    this.emit('command_refused', DOOR_EVENT_CODES.command_refused, `${this.d.door.name}: ${command ?? 'command'} from ${source} refused: ${reason}`, {
      source,
      command,
      reason,
    });
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
    else if (r.kind === 'overflow') this.deny('PIN', null, this.pinFailure(mono) ? 'locked_out' : 'unknown_credential', { entry: 'too_long' });
  }

  private onPin(pin: string): void {
    const mono = this.d.clock.monoMs();
    const door = this.d.door;
    if (door.mode === 'card') return this.deny('PIN', null, 'wrong_mode');
    const pending = this.pendingCard && this.pendingCard.until > mono ? this.pendingCard : null;
    if (door.mode === 'card_and_pin' && !pending) return this.deny('PIN', null, 'wrong_mode', { expected: 'card first' });
    const lockedOut = lockout.isLockedOut(this.lockoutState, mono);
    // A locked-out keypad does not even look the PIN up; nor is a PIN outside this door's policy looked up.
    const facts = lockedOut || !this.acceptablePin(pin) ? null : this.d.lookup('PIN', pin);
    const decision = this.decideNow('PIN', facts, lockedOut);
    if (decision.granted && pending && facts?.person.id !== pending.personId) {
      // Another person's valid PIN after this card: treated as a wrong PIN.
      return this.deny('PIN', null, this.pinFailure(mono) ? 'locked_out' : 'unknown_credential', { card_and_pin: 'mismatch' });
    }
    if (decision.granted) {
      this.pendingCard = null;
      this.lockoutState = lockout.recordSuccess();
      this.persistLockout();
      return this.grant(pending ? 'Card+PIN' : 'PIN', facts!);
    }
    // Wrong PINs count toward the lockout (and, during one, toward the alarm); a right PIN refused for another
    // reason (schedule, validity...) is not a guess.
    if (decision.reason === 'unknown_credential' || decision.reason === 'locked_out') this.pinFailure(mono);
    this.deny('PIN', facts, decision.reason);
  }

  private onCard(cardNumber: string): void {
    const facts = this.d.lookup('Card', cardNumber);
    const decision = this.decideNow('Card', facts, false);
    if (!decision.granted) {
      this.cardFailures++;
      return this.deny('Card', facts, decision.reason, { card_number: cardNumber });
    }
    if (this.d.door.mode === 'card_and_pin') {
      const windowMs = this.d.door.card_and_pin_window_s * 1000;
      this.pendingCard = { personId: facts!.person.id, credentialId: facts!.credential.id, until: this.d.clock.monoMs() + windowMs };
      this.annunciator.show('awaiting_pin', windowMs);
      return;
    }
    this.grant('Card', facts!);
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

  /** Records a wrong PIN; returns true when it started a lockout (which is then announced and evented). */
  private pinFailure(mono: number): boolean {
    const r = lockout.recordFailure(this.lockoutState, mono, this.d.lockoutPolicy);
    this.lockoutState = r.state;
    this.persistLockout();
    if (r.alarm) {
      this.emit('keypad_alarm', DOOR_EVENT_CODES.keypad_alarm, `${this.d.door.name}: ${r.state.consecutive} wrong PINs in a row`, {
        consecutive_failures: r.state.consecutive,
      });
    }
    if (r.lockedNow) {
      this.emit('keypad_locked_out', DOOR_EVENT_CODES.keypad_locked_out, `${this.d.door.name}: keypad locked for ${r.durationMs / 1000} s`, {
        duration_s: r.durationMs / 1000,
        level: r.state.level,
      });
    }
    return r.lockedNow;
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
  }

  private deny(kind: CredentialKind, facts: AccessFacts | null, reason: DenyReason, detail?: Record<string, unknown>): void {
    const mono = this.d.clock.monoMs();
    if (lockout.isLockedOut(this.lockoutState, mono) && kind === 'PIN') this.annunciator.show('locked_out', lockout.remainingMs(this.lockoutState, mono));
    else this.annunciator.show('denied', 1000);
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
  }

  private emit(type: EventType, code: number, label: string, detail?: Record<string, unknown>): void {
    this.record({ event_type: type, event_code: code, event_label: label, detail: detail ?? null });
  }

  private record(e: Omit<NewEvent, 'door_id' | 'created_at'>): void {
    const wall = this.d.clock.wallMs();
    this.d.events.record({ ...e, door_id: this.d.door.id, time_trusted: this.d.clock.trusted(), uid: newEventId(wall), created_at: toIsoSeconds(wall) });
  }

  private persistLockout(): void {
    this.d.events.saveLockout(this.d.door.id, lockout.persistLockout(this.lockoutState, this.d.clock.monoMs()), toIsoSeconds(this.d.clock.wallMs()));
  }
}
