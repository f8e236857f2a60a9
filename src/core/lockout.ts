/**
 * Wrong-PIN lockout for one keypad, as a pure state machine on the monotonic clock: N failures within a window lock
 * the keypad for a duration that doubles with each further lockout up to a cap; a grant resets it. Wall-clock jumps
 * cannot shorten or lengthen a lockout because no wall time is used.
 */
export interface LockoutPolicy {
  /** Failed PINs within the window that lock the keypad (default 3). */
  attempts: number;
  windowMs: number;
  /** First lockout (default 30 s); each further one doubles, up to maxDurationMs. */
  durationMs: number;
  maxDurationMs: number;
  /** An alarm after this many consecutive failures, and again at each multiple (default 10). */
  alarmAfter: number;
}

export interface LockoutState {
  /** Monotonic times of recent failures inside the window. */
  recent: number[];
  /** Consecutive failures since the last grant or reset, lockout-time attempts included. */
  consecutive: number;
  /** Lockouts since the last grant or reset: the doubling exponent. */
  level: number;
  /** Monotonic time the current lockout ends, or null. */
  lockedUntil: number | null;
}

export const initialLockout = (): LockoutState => ({ recent: [], consecutive: 0, level: 0, lockedUntil: null });

export function isLockedOut(s: LockoutState, monoMs: number): boolean {
  return s.lockedUntil !== null && monoMs < s.lockedUntil;
}

export function remainingMs(s: LockoutState, monoMs: number): number {
  return s.lockedUntil === null ? 0 : Math.max(0, s.lockedUntil - monoMs);
}

export function lockoutDuration(policy: LockoutPolicy, level: number): number {
  return Math.min(policy.durationMs * 2 ** Math.max(0, level - 1), policy.maxDurationMs);
}

export interface FailureOutcome {
  state: LockoutState;
  /** This failure started a lockout, lasting durationMs. */
  lockedNow: boolean;
  durationMs: number;
  /** This failure reached the alarm threshold (or a multiple of it). */
  alarm: boolean;
}

/** A failed PIN attempt (a wrong PIN, an overflowing entry, or any PIN during a lockout). */
export function recordFailure(s: LockoutState, monoMs: number, policy: LockoutPolicy): FailureOutcome {
  const consecutive = s.consecutive + 1;
  const alarm = consecutive % policy.alarmAfter === 0;
  if (isLockedOut(s, monoMs)) {
    // Attempts during a lockout are refused unseen; they count toward the alarm, not toward another lockout.
    return { state: { ...s, consecutive }, lockedNow: false, durationMs: 0, alarm };
  }
  const recent = [...s.recent.filter((t) => monoMs - t < policy.windowMs), monoMs];
  if (recent.length >= policy.attempts) {
    const level = s.level + 1;
    const durationMs = lockoutDuration(policy, level);
    return { state: { recent: [], consecutive, level, lockedUntil: monoMs + durationMs }, lockedNow: true, durationMs, alarm };
  }
  return { state: { ...s, recent, consecutive, lockedUntil: null }, lockedNow: false, durationMs: 0, alarm };
}

/** A grant on this keypad clears the failures and the doubling. */
export function recordSuccess(): LockoutState {
  return initialLockout();
}

/**
 * What survives a restart: the level and the lockout time still to serve. Stored as remaining time, not as a
 * wall-clock deadline, so a clock that is wrong after a power cut cannot cut a lockout short.
 */
export interface PersistedLockout {
  level: number;
  consecutive: number;
  remainingMs: number;
}

export function persistLockout(s: LockoutState, monoMs: number): PersistedLockout {
  // Whole milliseconds, rounded up: rounding must never shorten a lockout.
  return { level: s.level, consecutive: s.consecutive, remainingMs: Math.ceil(remainingMs(s, monoMs)) };
}

export function resumeLockout(p: PersistedLockout, monoMs: number): LockoutState {
  return { recent: [], consecutive: p.consecutive, level: p.level, lockedUntil: p.remainingMs > 0 ? monoMs + p.remainingMs : null };
}
