/**
 * Guessing protection for one input of a door: its keypad (wrong PINs) or its card reader (unknown cards). Keeps the
 * lockout state of core/lockout.ts, saves it with every change (so a restart or a power cut gives no fresh tries),
 * and records the lockout and alarm events. The two inputs are counted apart, each under its own policy.
 */
import * as lockout from '../core/lockout.js';
import type { DoorEventType } from '../core/event-types.js';
import type { Clock } from '../drivers/clock.js';
import type { EventSink } from '../storage/event-writer.js';
import { toIsoSeconds } from '../core/site-time.js';

export interface GuardStatus {
  active: boolean;
  until: string | null;
  level: number;
  /** Wrong PINs (or unknown cards) looked up in the last hour. */
  failures_last_hour: number;
}

export interface GuessGuardOptions {
  /** What is guarded, for event types and labels. */
  input: 'keypad' | 'reader';
  /** The key its state is saved under (storage/lockout-repo). */
  key: number;
  doorName: string;
  policy: lockout.LockoutPolicy;
  clock: Clock;
  sink: EventSink;
  emit: (type: DoorEventType, label: string, detail: Record<string, unknown>) => void;
  resumed?: lockout.PersistedLockout | undefined;
}

const EVENTS = {
  keypad: { locked: 'keypad_locked_out', alarm: 'keypad_alarm', what: 'keypad', guesses: 'wrong PINs' },
  reader: { locked: 'card_reader_locked_out', alarm: 'card_alarm', what: 'card reader', guesses: 'unknown cards' },
} as const;

export class GuessGuard {
  private state: lockout.LockoutState;

  constructor(private readonly options: GuessGuardOptions) {
    this.state = options.resumed ? lockout.resumeLockout(options.resumed, options.clock.monoMs()) : lockout.initialLockout();
  }

  get lockedOut(): boolean {
    return lockout.isLockedOut(this.state, this.options.clock.monoMs());
  }

  get remainingMs(): number {
    return lockout.remainingMs(this.state, this.options.clock.monoMs());
  }

  /** Monotonic time the current lockout ends (null when none): for the door's expiry timer. */
  get lockedUntil(): number | null {
    return this.lockedOut ? this.state.lockedUntil : null;
  }

  /** Records a wrong guess; returns true when it started a lockout. Saves the state, then records the events. */
  failure(): boolean {
    const r = lockout.recordFailure(this.state, this.options.clock.monoMs(), this.options.policy);
    this.state = r.state;
    this.save();
    const e = EVENTS[this.options.input];
    if (r.alarm) {
      this.options.emit(e.alarm, `${this.options.doorName}: ${this.options.policy.alarmAfter} ${e.guesses} within an hour`, {
        within_hour: this.options.policy.alarmAfter,
      });
    }
    if (r.lockedNow) {
      const s = Math.ceil(r.durationMs / 1000);
      this.options.emit(e.locked, `${this.options.doorName}: ${e.what} locked for ${s} s`, { duration_s: s, level: r.state.level });
    }
    return r.lockedNow;
  }

  /** An admin ended it: everything is forgotten. */
  reset(): void {
    this.state = lockout.initialLockout();
    this.save();
  }

  /** Saves the state as ages on the monotonic clock (also at stop, so the time still to serve is right). */
  save(): void {
    const mono = this.options.clock.monoMs();
    this.options.sink.saveLockout(this.options.key, lockout.persistLockout(this.state, mono), toIsoSeconds(this.options.clock.wallMs()));
  }

  status(): GuardStatus {
    const mono = this.options.clock.monoMs();
    const s = lockout.settle(this.state, mono, this.options.policy);
    const remaining = lockout.remainingMs(s, mono);
    return {
      active: remaining > 0,
      until: remaining > 0 ? new Date(this.options.clock.wallMs() + remaining).toISOString() : null,
      level: s.level,
      failures_last_hour: s.failures.length,
    };
  }
}
