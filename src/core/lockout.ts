/**
 * Wrong-PIN lockout for one keypad (and, with its own policy, card-guessing backoff for one reader), as a pure state
 * machine on the monotonic clock. Three rules, none of which a grant touches:
 * - `attempts` wrong PINs within `windowMs` (counted since the last lockout began) lock the keypad; each further
 *   lockout doubles, up to `maxDurationMs`, and the doubling level falls one step per `levelDecayMs` without one;
 * - at most `maxPerHour` wrong PINs are looked up in any hour: reaching it locks the keypad until the oldest of them
 *   is an hour old, so no pacing keeps an attacker under the short rule for long;
 * - `alarmAfter` wrong PINs within an hour (those refused during a lockout included) raise an alarm, and again at
 *   each further `alarmAfter`.
 * A grant never resets anything: one valid PIN (a member's, a visitor's, a shared delivery PIN) between guesses would
 * otherwise reopen the window. Only an admin reset does. Wall-clock jumps cannot shorten or lengthen a lockout.
 */
export interface LockoutPolicy {
  /** Wrong PINs within the window that lock the keypad (default 3). */
  attempts: number;
  windowMs: number;
  /** First lockout (default 30 s); each further one doubles, up to maxDurationMs. */
  durationMs: number;
  maxDurationMs: number;
  /** Wrong PINs looked up in any rolling hour (default 12). */
  maxPerHour: number;
  /** Wrong PINs within an hour that raise the alarm (default 10). */
  alarmAfter: number;
  /** Each period this long after a lockout, with no new lockout, lowers the doubling level by one (default 1 h). */
  levelDecayMs: number;
}

export const HOUR_MS = 3_600_000;

export interface LockoutState {
  /** Monotonic times of the wrong PINs looked up in the last hour, oldest first. */
  failures: number[];
  /** Monotonic times of every wrong PIN since the last alarm, within the last hour. */
  sinceAlarm: number[];
  /** Lockouts that have not yet decayed: the doubling exponent. */
  level: number;
  /** Monotonic time the level last changed (the end of a lockout, or a decay step). */
  levelAtMs: number;
  /** Monotonic time the last lockout began; the short window counts only failures after it. */
  lockedAtMs: number;
  /** Monotonic time the current lockout ends, or null. */
  lockedUntil: number | null;
}

export const initialLockout = (): LockoutState => ({
  failures: [],
  sinceAlarm: [],
  level: 0,
  levelAtMs: 0,
  lockedAtMs: -Infinity,
  lockedUntil: null,
});

export function isLockedOut(s: LockoutState, monoMs: number): boolean {
  return s.lockedUntil !== null && monoMs < s.lockedUntil;
}

export function remainingMs(s: LockoutState, monoMs: number): number {
  return s.lockedUntil === null ? 0 : Math.max(0, s.lockedUntil - monoMs);
}

export function lockoutDuration(policy: LockoutPolicy, level: number): number {
  return Math.min(policy.durationMs * 2 ** Math.max(0, level - 1), policy.maxDurationMs);
}

/** The state with the level decayed and failures older than an hour dropped, as seen at `monoMs`. */
export function settle(s: LockoutState, monoMs: number, policy: LockoutPolicy): LockoutState {
  let { level, levelAtMs } = s;
  if (level > 0 && !isLockedOut(s, monoMs) && monoMs > levelAtMs) {
    const steps = Math.min(level, Math.floor((monoMs - levelAtMs) / policy.levelDecayMs));
    level -= steps;
    levelAtMs += steps * policy.levelDecayMs;
  }
  const fresh = (t: number) => monoMs - t < HOUR_MS;
  return { ...s, level, levelAtMs, failures: s.failures.filter(fresh), sinceAlarm: s.sinceAlarm.filter(fresh) };
}

export interface FailureOutcome {
  state: LockoutState;
  /** This failure started a lockout, lasting durationMs. */
  lockedNow: boolean;
  durationMs: number;
  /** This failure reached the alarm threshold (or a further multiple of it) within an hour. */
  alarm: boolean;
}

/** A failed PIN attempt (a wrong PIN, an overflowing entry, or any PIN during a lockout). */
export function recordFailure(before: LockoutState, monoMs: number, policy: LockoutPolicy): FailureOutcome {
  const s = settle(before, monoMs, policy);
  let sinceAlarm = [...s.sinceAlarm, monoMs];
  const alarm = sinceAlarm.length >= policy.alarmAfter;
  if (alarm) sinceAlarm = [];
  if (isLockedOut(s, monoMs)) {
    // Attempts during a lockout are refused unseen: they count toward the alarm, not toward another lockout.
    return { state: { ...s, sinceAlarm }, lockedNow: false, durationMs: 0, alarm };
  }
  const failures = [...s.failures, monoMs];
  const inWindow = failures.filter((t) => t > s.lockedAtMs && monoMs - t < policy.windowMs).length;
  const hourFull = failures.length >= policy.maxPerHour;
  if (inWindow < policy.attempts && !hourFull) {
    return { state: { ...s, failures, sinceAlarm, lockedUntil: null }, lockedNow: false, durationMs: 0, alarm };
  }
  const level = s.level + 1;
  const untilHourFrees = hourFull ? failures[failures.length - policy.maxPerHour]! + HOUR_MS - monoMs : 0;
  const durationMs = Math.max(lockoutDuration(policy, level), untilHourFrees);
  const lockedUntil = monoMs + durationMs;
  return {
    state: { failures, sinceAlarm, level, levelAtMs: lockedUntil, lockedAtMs: monoMs, lockedUntil },
    lockedNow: true,
    durationMs,
    alarm,
  };
}

/**
 * What survives a restart: the level, the lockout time still to serve, and the recent failures, all as ages on the
 * monotonic clock at the moment of saving. The time a daemon is down is never credited (the monotonic clock restarts
 * at boot), so a restart or a power cut can only make the failures count longer, never give fresh tries, and a
 * wall clock that is wrong after a power cut cannot cut a lockout short.
 */
export interface PersistedLockout {
  level: number;
  remainingMs: number;
  failureAgesMs: number[];
  sinceAlarmAgesMs: number[];
  /** Since the last lockout began; null when there was none. */
  lockedAgeMs: number | null;
  /** Since the level last changed; negative while a lockout is still to serve. */
  levelAgeMs: number;
}

export function persistLockout(s: LockoutState, monoMs: number): PersistedLockout {
  // Whole milliseconds, rounded so that rounding never shortens a lockout or ages a failure.
  const ages = (ts: number[]) => ts.map((t) => Math.max(0, Math.floor(monoMs - t)));
  return {
    level: s.level,
    remainingMs: Math.ceil(remainingMs(s, monoMs)),
    failureAgesMs: ages(s.failures),
    sinceAlarmAgesMs: ages(s.sinceAlarm),
    lockedAgeMs: Number.isFinite(s.lockedAtMs) ? Math.floor(monoMs - s.lockedAtMs) : null,
    levelAgeMs: Math.floor(monoMs - s.levelAtMs),
  };
}

export function resumeLockout(p: PersistedLockout, monoMs: number): LockoutState {
  const times = (ages: number[]) => ages.map((a) => monoMs - a).sort((a, b) => a - b);
  return {
    failures: times(p.failureAgesMs),
    sinceAlarm: times(p.sinceAlarmAgesMs),
    level: p.level,
    levelAtMs: monoMs - p.levelAgeMs,
    lockedAtMs: p.lockedAgeMs === null ? -Infinity : monoMs - p.lockedAgeMs,
    lockedUntil: p.remainingMs > 0 ? monoMs + p.remainingMs : null,
  };
}

/** Whether nothing is left to keep: no level, no lockout, no failure that still counts. */
export function isClear(p: PersistedLockout): boolean {
  return p.level === 0 && p.remainingMs === 0 && p.failureAgesMs.length === 0 && p.sinceAlarmAgesMs.length === 0;
}
