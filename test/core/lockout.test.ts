import { describe, expect, it } from 'vitest';
import {
  initialLockout,
  isLockedOut,
  lockoutDuration,
  persistLockout,
  recordFailure,
  recordSuccess,
  remainingMs,
  resumeLockout,
  type LockoutPolicy,
  type LockoutState,
} from '../../src/core/lockout.js';

const policy: LockoutPolicy = { attempts: 3, windowMs: 60_000, durationMs: 30_000, maxDurationMs: 900_000, alarmAfter: 10 };

/** Fails `n` times, one second apart from `t`, returning the state and the times lockouts started. */
function fail(s: LockoutState, t: number, n: number) {
  const locks: number[] = [];
  const alarms: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = recordFailure(s, t + i * 1000, policy);
    s = r.state;
    if (r.lockedNow) locks.push(r.durationMs);
    if (r.alarm) alarms.push(s.consecutive);
  }
  return { s, locks, alarms, end: t + (n - 1) * 1000 };
}

describe('keypad lockout', () => {
  it('locks after 3 failures within the window, for 30 s', () => {
    const { s, locks, end } = fail(initialLockout(), 0, 3);
    expect(locks).toEqual([30_000]);
    expect(isLockedOut(s, end + 29_999)).toBe(true);
    expect(isLockedOut(s, end + 30_000)).toBe(false);
  });

  it('forgets failures older than the window', () => {
    let s = recordFailure(initialLockout(), 0, policy).state;
    s = recordFailure(s, 30_000, policy).state;
    // At 61 s the first failure has left the 60 s window: two remain.
    const third = recordFailure(s, 61_000, policy);
    expect(third.lockedNow).toBe(false);
    expect(recordFailure(third.state, 62_000, policy).lockedNow).toBe(true);
  });

  it('doubles each further lockout up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((l) => lockoutDuration(policy, l))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000,
    ]);
    let s = initialLockout();
    let t = 0;
    const durations: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = fail(s, t, 3);
      durations.push(...r.locks);
      s = r.s;
      t = r.end + remainingMs(s, r.end); // wait the lockout out
    }
    expect(durations).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
  });

  it('refuses attempts during a lockout without extending it, but counts them toward the alarm at 10', () => {
    const { s, end } = fail(initialLockout(), 0, 3);
    const during = fail(s, end + 1000, 7);
    expect(during.locks).toEqual([]);
    expect(during.s.lockedUntil).toBe(s.lockedUntil);
    expect(during.alarms).toEqual([10]);
  });

  it('is reset by a grant: failures and doubling', () => {
    const locked = fail(fail(initialLockout(), 0, 3).s, 40_000, 3).s;
    expect(locked.level).toBe(2);
    const fresh = recordSuccess();
    expect(fresh).toEqual(initialLockout());
    expect(fail(fresh, 200_000, 3).locks).toEqual([30_000]);
  });

  it('resumes the remaining lockout after a restart, from the remaining time, not a wall-clock deadline', () => {
    const { s, end } = fail(initialLockout(), 0, 3);
    const saved = persistLockout(s, end + 10_000);
    expect(saved).toEqual({ level: 1, consecutive: 3, remainingMs: 20_000 });
    // The monotonic clock restarts near zero after a reboot.
    const resumed = resumeLockout(saved, 42);
    expect(isLockedOut(resumed, 42 + 19_999)).toBe(true);
    expect(isLockedOut(resumed, 42 + 20_000)).toBe(false);
    // The level survives too, so the next lockout doubles.
    expect(fail(resumed, 30_000, 3).locks).toEqual([60_000]);
  });
});
