/**
 * A door's site-operation modes, which decide whether the relay stands held unlocked: DoorFlow's unlock mode (held,
 * until relock_at when given), its auto-unlock shift (core/auto-unlock.ts), and its lockdown (its own or the site's,
 * which wins over both: the relay is held locked). Every change is saved (storage/door-mode-repo.ts) so a restart or
 * a power cut resumes it, and is an event naming its source. A tick each second ends an unlock at relock_at and walks
 * the shift; nothing here reads more than the calendar (a few rows, cached).
 */
import { autoUnlockStep, IDLE, type AutoUnlockInput, type AutoUnlockState } from '../core/auto-unlock.js';
import type { DoorEventType } from '../core/event-types.js';
import {
  effectiveLockdown,
  isLockedDown,
  lockdownMessage,
  shiftRunning,
  type Holiday,
  type LockdownState,
  type Shift,
} from '../core/site-calendar.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Clock } from '../drivers/clock.js';
import { EMPTY_MODE, type PersistedDoorMode } from '../storage/door-mode-repo.js';
import type { EventFields } from '../storage/new-event.js';
import type { DoorRelay } from './relay.js';

/** The site calendar as the doors read it; may throw when storage fails (the door then runs no shift). */
export interface CalendarSource {
  shifts(): readonly Shift[];
  holidays(): readonly Holiday[];
}

/** The site-wide lockdown, shared by every door of this controller. */
export interface SiteLockdown {
  readonly state: LockdownState | null;
}

export interface DoorModesDeps {
  doorName: string;
  relay: DoorRelay;
  clock: Clock;
  zone: string;
  calendar: CalendarSource;
  site: SiteLockdown;
  /** How long a last-to-leave door stays unlocked after its shift at most. */
  closingMaxMs: number;
  resumed: PersistedDoorMode | undefined;
  save: (mode: PersistedDoorMode) => void;
  emit: (type: DoorEventType, label: string, extra?: Pick<EventFields, 'source' | 'reason' | 'detail'>) => void;
  /** What the door shows changed (its retained MQTT state follows). */
  notify: () => void;
}

/** What the channel view and status show of the modes. */
export interface ModesStatus {
  mode: { description: 'unlock' | 'normal'; relock_at: string | null; change_stamp: string | null };
  lockdown: { message: string; card_lockdown: { state: boolean }; rex_lockdown: { state: boolean }; aux_lockdown: { state: boolean } } | null;
  /** The door's own lockdown (without the site's). */
  door_lockdown: LockdownState | null;
  /** A site-wide lockdown is in force. */
  site_lockdown: boolean;
  auto_unlock: { id: number; name: string; state: AutoUnlockState['phase'] } | null;
}

export type ModeRefusal = string | null;

export class DoorModes {
  private mode: PersistedDoorMode;
  private auto: AutoUnlockState;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DoorModesDeps) {
    this.mode = { ...EMPTY_MODE, ...deps.resumed };
    this.auto = { phase: this.mode.autoPhase, sinceMs: this.mode.autoSince ? Date.parse(this.mode.autoSince) : 0 };
  }

  /** Resumes what was saved (the relay was driven locked first), then ticks each second. */
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The lockdown in force here: the door's own or the site's. */
  get lockdown(): LockdownState {
    return effectiveLockdown(this.mode.lockdown, this.deps.site.state);
  }

  status(): ModesStatus {
    const l = this.lockdown;
    const shift = this.shift();
    return {
      mode: { description: this.deps.relay.isHeld ? 'unlock' : 'normal', relock_at: this.mode.relockAt, change_stamp: this.mode.changeStamp },
      lockdown: isLockedDown(l)
        ? { message: lockdownMessage(l), card_lockdown: { state: l.card }, rex_lockdown: { state: l.rex }, aux_lockdown: { state: l.aux } }
        : null,
      door_lockdown: this.mode.lockdown,
      site_lockdown: isLockedDown(this.deps.site.state),
      auto_unlock: shift ? { id: shift.id, name: shift.name, state: this.auto.phase } : null,
    };
  }

  /** Locks the door down (merging with a lockdown already set here); the relay is locked and any unlock ended. */
  setLockdown(l: LockdownState, source: string): void {
    const merged = effectiveLockdown(this.mode.lockdown, l);
    this.mode = { ...this.mode, lockdown: merged, lockdownSource: source, held: false, relockAt: null, changeStamp: this.now() };
    this.deps.emit('lockdown_started', `${this.deps.doorName} locked down: ${lockdownMessage(merged)} (${source})`, {
      source,
      detail: { ...merged },
    });
    this.deps.relay.lock();
    this.changed();
  }

  /** Ends this door's own lockdown (a site lockdown stays until the site's is ended). */
  endLockdown(source: string): void {
    this.mode = { ...this.mode, lockdown: null, lockdownSource: null, changeStamp: this.now() };
    const still = isLockedDown(this.lockdown) ? ' (the site lockdown is still in force)' : '';
    this.deps.emit('lockdown_ended', `${this.deps.doorName} lockdown ended (${source})${still}`, { source });
    this.changed();
  }

  /** The site's lockdown changed: this door says so in its own event, and acts on it. */
  siteChanged(source: string, started: boolean): void {
    if (started) {
      this.mode = { ...this.mode, held: false, relockAt: null, changeStamp: this.now() };
      this.deps.emit('lockdown_started', `${this.deps.doorName} locked down with the site: ${lockdownMessage(this.lockdown)} (${source})`, {
        source,
        detail: { ...this.lockdown, site: true },
      });
      this.deps.relay.lock();
    } else this.deps.emit('lockdown_ended', `${this.deps.doorName}: site lockdown ended (${source})`, { source, detail: { site: true } });
    this.changed();
  }

  /** DoorFlow's unlock: held unlocked, until `relockAtMs` when given. Refused while locked down. */
  hold(source: string, relockAtMs: number | null): ModeRefusal {
    if (isLockedDown(this.lockdown)) return 'the door is locked down: end the lockdown first';
    if (relockAtMs !== null && relockAtMs <= this.deps.clock.wallMs()) return 'relock_at: must be in the future';
    const relockAt = relockAtMs === null ? null : toIsoSeconds(relockAtMs);
    this.mode = { ...this.mode, held: true, relockAt, changeStamp: this.now() };
    const until = relockAt ? ` until ${relockAt}` : '';
    this.deps.emit('remote_hold_unlocked', `${this.deps.doorName} held unlocked${until} (${source})`, { source, detail: { relock_at: relockAt } });
    this.changed();
    return null;
  }

  /** DoorFlow's normal: ends the unlock mode (a running auto-unlock shift keeps the door unlocked). */
  normal(source: string): void {
    this.mode = { ...this.mode, held: false, relockAt: null, changeStamp: this.now() };
    this.deps.emit('remote_normal', `${this.deps.doorName} back to normal (${source})`, { source });
    this.changed();
  }

  /** A remote lock: ends the unlock mode, and a running shift waits for the next grant before it unlocks again. */
  lockNow(): void {
    this.mode = { ...this.mode, held: false, relockAt: null, changeStamp: this.now() };
    if (this.auto.phase === 'unlocked' || this.auto.phase === 'closing') this.auto = { phase: 'waiting', sinceMs: this.deps.clock.wallMs() };
    this.changed();
  }

  /** Sets (or, null, clears) the auto-unlock shift. Returns a refusal when there is no such shift. */
  setAutoUnlock(shiftId: number | null, source: string): ModeRefusal {
    const shift = shiftId === null ? null : (this.readCalendar().shifts.find((s) => s.id === shiftId) ?? null);
    if (shiftId !== null && !shift) return `shift_id: no shift ${shiftId}`;
    const wasOn = this.auto.phase === 'unlocked' || this.auto.phase === 'closing';
    this.mode = { ...this.mode, autoUnlockShiftId: shiftId, changeStamp: this.now() };
    this.auto = IDLE;
    this.deps.emit('auto_unlock_set', `${this.deps.doorName}: auto-unlock ${shift ? `with shift ${shift.name}` : 'off'} (${source})`, {
      source,
      detail: { shift_id: shiftId },
    });
    if (wasOn) this.deps.emit('auto_unlock_ended', `${this.deps.doorName}: auto-unlock ended (${source})`, { source, reason: 'shift_changed' });
    this.changed();
    return null;
  }

  /** Someone with access was granted here (first-person-in), or left (last-to-leave). */
  onAccess(kind: 'grant' | 'leave'): void {
    this.walk({ kind });
  }

  private tick(): void {
    const now = this.deps.clock.wallMs();
    if (this.mode.held && this.mode.relockAt !== null && now >= Date.parse(this.mode.relockAt)) {
      const relockAt = this.mode.relockAt;
      this.mode = { ...this.mode, held: false, relockAt: null, changeStamp: this.now() };
      this.deps.emit('unlock_period_ended', `${this.deps.doorName}: unlock ended at ${relockAt}, back to normal`, {
        source: 'relock_at',
        detail: { relock_at: relockAt },
      });
      this.changed();
    }
    this.walk({ kind: 'tick' });
  }

  /** Moves the shift's machine on; applies and saves any change. */
  private walk(input: AutoUnlockInput): void {
    const shift = this.shift();
    if (!shift) {
      if (this.auto.phase !== 'idle') this.auto = IDLE;
      return this.apply();
    }
    const { clock } = this.deps;
    const running = this.running(shift);
    const step = autoUnlockStep(this.auto, input, {
      nowMs: clock.wallMs(),
      running,
      trusted: clock.trusted(),
      firstPersonIn: shift.firstPersonIn,
      lastToLeave: shift.lastToLeave,
      lockedDown: isLockedDown(this.lockdown),
      closingMaxMs: this.deps.closingMaxMs,
    });
    const moved = step.state.phase !== this.auto.phase;
    this.auto = step.state;
    const name = this.deps.doorName;
    if (step.event === 'auto_unlock_started')
      this.deps.emit(step.event, `${name} unlocked by shift ${shift.name}`, { source: `shift:${shift.name}` });
    else if (step.event === 'auto_unlock_waiting')
      this.deps.emit(step.event, `${name}: shift ${shift.name} started, unlocking at the first person in`, { source: `shift:${shift.name}` });
    else if (step.event === 'auto_unlock_ended')
      this.deps.emit(step.event, `${name} relocked: shift ${shift.name} ended (${step.why})`, {
        source: `shift:${shift.name}`,
        reason: step.why ?? null,
      });
    if (moved) this.changed();
    else this.apply();
  }

  /** Whether the shift runs now; a calendar that cannot be read runs no shift. */
  private running(shift: Shift): boolean {
    const { clock } = this.deps;
    try {
      return shiftRunning(shift, this.deps.calendar.holidays(), clock.wallMs(), this.deps.zone, clock.trusted());
    } catch {
      return false;
    }
  }

  private shift(): Shift | null {
    if (this.mode.autoUnlockShiftId === null) return null;
    try {
      return this.deps.calendar.shifts().find((s) => s.id === this.mode.autoUnlockShiftId) ?? null;
    } catch {
      return null;
    }
  }

  private readCalendar(): { shifts: readonly Shift[] } {
    return { shifts: this.deps.calendar.shifts() };
  }

  /** The relay follows the modes: held while unlock mode or a shift wants it and no lockdown forbids it. */
  private apply(): void {
    const { relay } = this.deps;
    const wanted = !isLockedDown(this.lockdown) && (this.mode.held || this.auto.phase === 'unlocked' || this.auto.phase === 'closing');
    if (wanted && !relay.isHeld) relay.hold();
    else if (!wanted && relay.isHeld) relay.release();
  }

  private changed(): void {
    this.apply();
    this.mode = { ...this.mode, autoPhase: this.auto.phase, autoSince: this.auto.sinceMs ? toIsoSeconds(this.auto.sinceMs) : null };
    this.deps.save(this.mode);
    this.deps.notify();
  }

  private now(): string {
    return toIsoSeconds(this.deps.clock.wallMs());
  }
}
