/**
 * The door's lock relay. Fail secure by default: de-energised = locked, so a dead Pi or a cut cable leaves the door
 * locked. `failSafe` inverts the sense for locks that must open on power loss (maglocks). A guard, independent of
 * the unlock timer, forces the relay locked if any unlocked period outlasts maxUnlockMs.
 */
import type { Clock } from '../drivers/clock.js';
import type { OutputLine } from '../drivers/door-hardware.js';

export interface RelayOptions {
  failSafe: boolean;
  maxUnlockMs: number;
}

export class DoorRelay {
  private lockAt: number | null = null;
  private unlockedSince: number | null = null;
  private lastLockedAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private guard: NodeJS.Timeout | undefined;
  private held = false;
  /** Locked-to-unlocked transitions since start. */
  unlockCount = 0;
  /** Called after each change between locked and unlocked (for the retained MQTT state). */
  onChange: (() => void) | null = null;

  constructor(
    private readonly line: OutputLine,
    private readonly opts: RelayOptions,
    private readonly clock: Clock,
    /** Called when the guard had to force the relay locked. */
    private readonly onForcedLock: (unlockedForMs: number) => void,
  ) {}

  /** Drives the relay locked and starts the guard. */
  start(): void {
    this.lock();
    this.guard = setInterval(() => this.checkGuard(), Math.min(1000, this.opts.maxUnlockMs / 4));
    this.guard.unref();
  }

  get locked(): boolean {
    return this.unlockedSince === null;
  }

  /** Monotonic time the relay last went from unlocked to locked. */
  get lockedAt(): number {
    return this.lastLockedAt;
  }

  lock(): void {
    this.held = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.line.write(this.opts.failSafe);
    const changed = this.unlockedSince !== null;
    if (changed) this.lastLockedAt = this.clock.monoMs();
    this.unlockedSince = null;
    this.lockAt = null;
    if (changed) this.onChange?.();
  }

  /** Unlocks for `ms`; an unlock while unlocked extends to whichever ends later. */
  unlock(ms: number): void {
    const now = this.clock.monoMs();
    const changed = this.unlockedSince === null;
    if (changed) {
      this.unlockedSince = now;
      this.unlockCount++;
    }
    this.line.write(!this.opts.failSafe);
    this.lockAt = Math.max(this.lockAt ?? 0, now + ms);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.lock(), this.lockAt - now);
    if (changed) this.onChange?.();
  }

  /** Held unlocked by an admin until released (DoorFlow's channel "unlock"): no timer, no guard. */
  hold(): void {
    this.held = true;
    this.unlock(this.opts.maxUnlockMs);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Ends a hold and locks (DoorFlow's channel "normal"). */
  release(): void {
    this.held = false;
    this.lock();
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Locks and stops the guard: used at shutdown. */
  stop(): void {
    this.lock();
    clearInterval(this.guard);
  }

  private checkGuard(): void {
    if (this.unlockedSince === null || this.held) return;
    const unlockedFor = this.clock.monoMs() - this.unlockedSince;
    if (unlockedFor > this.opts.maxUnlockMs) {
      this.lock();
      this.onForcedLock(unlockedFor);
    }
  }
}
