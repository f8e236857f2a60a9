/**
 * One door: keys and cards in, decisions made locally, relay, LED and buzzer out, every outcome an event.
 * The relay acts before the event is handed to the writer, and nothing here waits on storage or the network, with
 * one exception that costs the person at the door nothing: the result of a wrong guess is shown only once the
 * guess is stored, so that a crash or power cut right after it cannot hand the guesser fresh tries.
 *
 * This is the facade its callers use; the work is in its parts: the keypad and reader (entry-path.ts), the decision
 * and its event (access-decisions.ts), the remote paths (remote-access.ts), modes and lockdown (door-modes.ts).
 */
import type { AccessFacts, Decision } from '../core/decision.js';
import type { DoorEventType } from '../core/event-types.js';
import type { LockoutPolicy, PersistedLockout } from '../core/lockout.js';
import type { LockdownState } from '../core/site-calendar.js';
import { toIsoSeconds } from '../core/site-time.js';
import { Listeners, type HardwareStatus } from '../drivers/door-hardware.js';
import { readerKey } from '../storage/lockout-repo.js';
import { newEvent, type EventFields, type EventMoment } from '../storage/new-event.js';
import { AccessDecisions } from './access-decisions.js';
import { Annunciator } from './annunciator.js';
import { DoorModes, type ModeRefusal, type SiteLockdown } from './door-modes.js';
import { NO_CALENDAR, type DoorDeps, type DoorParts, type DoorStatus, type EntryOutcome } from './door-parts.js';
import { DoorSensors } from './door-sensors.js';
import { EntryPath } from './entry-path.js';
import { GuessGuard } from './guess-guard.js';
import { hardwareEvent } from './hardware-events.js';
import { DoorRelay } from './relay.js';
import { RemoteAccess } from './remote-access.js';

export type { DoorDeps, DoorStatus, EntryOutcome } from './door-parts.js';

const NO_SITE_LOCKDOWN: SiteLockdown = { state: null };
/** A last-to-leave door relocks at most this long after its shift ends, even if nobody leaves. */
const CLOSING_MAX_MS = 3_600_000;

export class DoorController {
  private readonly relay: DoorRelay;
  private readonly annunciator: Annunciator;
  private readonly sensors: DoorSensors;
  private readonly keypadGuard: GuessGuard;
  private readonly readerGuard: GuessGuard | null;
  private readonly modes: DoorModes;
  private readonly outcomes = new Listeners<EntryOutcome>();
  private readonly entry: EntryPath;
  private readonly remote: RemoteAccess;
  private expiryTimer: NodeJS.Timeout | undefined;
  private settling: Promise<unknown> = Promise.resolve();
  private readonly life = { stopped: false };
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: DoorDeps) {
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
    const life = this.life;
    const parts: DoorParts = {
      deps,
      relay: this.relay,
      annunciator: this.annunciator,
      keypadGuard: this.keypadGuard,
      readerGuard: this.readerGuard,
      modes: this.modes,
      outcomes: this.outcomes,
      get stopped() {
        return life.stopped;
      },
      emit: (type, label, extra) => this.emit(type, label, extra),
      moment: () => this.moment(),
      watchExpiry: () => this.watchExpiry(),
      settleAfter: (p) => {
        this.settling = Promise.all([this.settling, p]);
      },
    };
    const access = new AccessDecisions(parts);
    this.entry = new EntryPath(parts, access);
    this.remote = new RemoteAccess(parts, access);
  }

  get id(): number {
    return this.deps.door.id;
  }

  /** Drives the relay locked first, then listens. */
  start(): void {
    this.relay.start();
    const { hw } = this.deps;
    if (hw.keypad) this.unsubscribe.push(hw.keypad.onKey((k) => this.guard(() => this.entry.onKey(k))));
    if (hw.reader) this.unsubscribe.push(hw.reader.onCard((n) => this.guard(() => this.entry.onCard(n))));
    this.unsubscribe.push(...this.sensors.start());
    if (hw.onStatus) this.unsubscribe.push(hw.onStatus((st) => this.guard(() => this.onHardwareStatus(st))));
    if (this.keypadGuard.lockedOut) this.annunciator.show('locked_out', this.keypadGuard.remainingMs);
    this.watchExpiry();
    this.modes.start();
  }

  /** Locks, stops listening, and saves the lockout time still to serve. */
  stop(): void {
    this.life.stopped = true;
    this.modes.stop();
    this.relay.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    this.entry.stop();
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
      card_failures: this.entry.cardFailures,
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

  /** A remote unlock (MQTT, API): `source` names who asked; the duration is capped by max_unlock_ms. Refused in lockdown. */
  remoteUnlock(source: string, durationMs?: number): ModeRefusal {
    return this.remote.unlock(source, durationMs);
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

  /** DoorFlow's admit_person: the keypad's decision with the person's own facts (remote-access.ts). */
  admitPerson(facts: AccessFacts | null, source: string): Decision {
    return this.remote.admitPerson(facts, source);
  }

  /** An unlock carrying a PIN (require_code); a wrong PIN counts against the keypad's lockout (remote-access.ts). */
  remoteUnlockWithPin(source: string, pin: string, durationMs?: number): Promise<{ granted: boolean; lockedOut: boolean }> {
    return this.remote.unlockWithPin(source, pin, durationMs);
  }

  remoteLock(source: string): void {
    this.remote.lock(source);
  }

  commandRefused(source: string, command: string | null, reason: string): void {
    this.emit('command_refused', `${this.deps.door.name}: ${command ?? 'command'} from ${source} refused: ${reason}`, {
      source,
      reason,
      detail: { command },
    });
  }

  private onHardwareStatus(st: HardwareStatus): void {
    const e = hardwareEvent(this.deps.door.name, st);
    if (st.type === 'tamper') this.deps.log.error(e.label);
    else if (st.type !== 'read_error') this.deps.log.warn(e.label);
    this.emit(e.type, e.label, { source: e.source, detail: e.detail });
  }

  /** A driver callback must never take the daemon down: report and carry on. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.log.error(`door ${this.deps.door.id}: ${(err as Error).stack ?? String(err)}`);
    }
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
