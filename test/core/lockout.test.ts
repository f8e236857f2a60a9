import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HOUR_MS,
  initialLockout,
  isLockedOut,
  lockoutDuration,
  persistLockout,
  recordFailure,
  remainingMs,
  resumeLockout,
  settle,
  type LockoutPolicy,
  type LockoutState,
} from '../../src/core/lockout.js';

const policy: LockoutPolicy = {
  attempts: 3,
  windowMs: 60_000,
  durationMs: 30_000,
  maxDurationMs: 900_000,
  maxPerHour: 12,
  alarmAfter: 10,
  levelDecayMs: HOUR_MS,
};

/** Fails `n` times, `gap` ms apart from `t` (waiting out any lockout first when `wait`), returning what happened. */
function fail(s: LockoutState, t: number, n: number, gap = 1000, wait = false, p = policy) {
  const locks: number[] = [];
  const alarms: number[] = [];
  const evaluated: number[] = [];
  for (let i = 0; i < n; i++) {
    if (wait && isLockedOut(s, t)) t = s.lockedUntil!;
    if (!isLockedOut(s, t)) evaluated.push(t);
    const r = recordFailure(s, t, p);
    s = r.state;
    if (r.lockedNow) locks.push(r.durationMs);
    if (r.alarm) alarms.push(t);
    t += gap;
  }
  return { s, locks, alarms, evaluated, end: t - gap };
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

  it('doubles each further lockout up to the cap; after each one, 3 more guesses', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((l) => lockoutDuration(policy, l))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000,
    ]);
    const { locks } = fail(initialLockout(), 0, 21, 1000, true, { ...policy, maxPerHour: 1000 });
    expect(locks).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
    // With the hourly limit of 12, the 12th guess (after four short lockouts) locks until the first is an hour old.
    const capped = fail(initialLockout(), 0, 13, 1000, true);
    expect(capped.locks.slice(0, 3)).toEqual([30_000, 60_000, 120_000]);
    expect(capped.locks[3]).toBe(HOUR_MS - (capped.evaluated[11]! - capped.evaluated[0]!));
  });

  it('refuses attempts during a lockout without extending it, but counts them toward the alarm at 10', () => {
    const { s, end } = fail(initialLockout(), 0, 3);
    const during = fail(s, end + 1000, 7);
    expect(during.locks).toEqual([]);
    expect(during.s.lockedUntil).toBe(s.lockedUntil);
    expect(during.alarms).toEqual([end + 7000]);
  });

  it('raises the alarm at 10 wrong PINs within an hour, however slowly, and again at each further 10', () => {
    // One every 5 minutes: never three in a minute, yet ten within the hour.
    const slow = fail(initialLockout(), 0, 30, 300_000);
    expect(slow.alarms).toEqual([9 * 300_000, 19 * 300_000, 29 * 300_000]);
    // One every 7 minutes: at most 9 within any hour, so never an alarm.
    expect(fail(initialLockout(), 0, 40, 420_000).alarms).toEqual([]);
  });

  it('looks up at most 12 wrong PINs in any hour, whatever the pace: two a minute locks at the 12th', () => {
    const r = fail(initialLockout(), 0, 200, 31_000, true);
    // The 12th comes at 341 s; the keypad stays locked until the first of them is an hour old.
    expect(r.locks[0]).toBe(HOUR_MS - 11 * 31_000);
    for (const t of r.evaluated) expect(r.evaluated.filter((u) => u > t - HOUR_MS && u <= t).length).toBeLessThanOrEqual(12);
  });

  it('lets the doubling level fall one step per hour without a lockout', () => {
    const twice = fail(initialLockout(), 0, 6, 1000, true);
    expect(twice.s.level).toBe(2);
    const lockoutEnd = twice.s.lockedUntil!;
    expect(settle(twice.s, lockoutEnd + HOUR_MS - 1, policy).level).toBe(2);
    expect(settle(twice.s, lockoutEnd + HOUR_MS, policy).level).toBe(1);
    // So the next lockout, an hour and a bit later, is 60 s (level 2 again), not 120 s.
    expect(fail(twice.s, lockoutEnd + HOUR_MS + 1000, 3).locks).toEqual([60_000]);
  });

  it('resumes the remaining lockout after a restart, from the remaining time, not a wall-clock deadline', () => {
    const { s, end } = fail(initialLockout(), 0, 3);
    const saved = persistLockout(s, end + 10_000);
    expect(saved).toMatchObject({ level: 1, remainingMs: 20_000, failureAgesMs: [12_000, 11_000, 10_000] });
    // The monotonic clock restarts near zero after a reboot.
    const resumed = resumeLockout(saved, 42);
    expect(isLockedOut(resumed, 42 + 19_999)).toBe(true);
    expect(isLockedOut(resumed, 42 + 20_000)).toBe(false);
    // The level survives too, so the next lockout doubles.
    expect(fail(resumed, 30_000, 3).locks).toEqual([60_000]);
  });

  it('keeps the recent failures across a restart: two guesses, a restart, one more guess locks', () => {
    const two = fail(initialLockout(), 5_000, 2);
    const resumed = resumeLockout(persistLockout(two.s, two.end + 500), 100);
    expect(recordFailure(resumed, 1_000, policy).lockedNow).toBe(true);
    // The time a daemon was down is never credited: the failures are as young as when they were saved.
    expect(persistLockout(resumed, 100).failureAgesMs).toEqual([1_500, 500]);
  });

  it('never looks up more than max_per_hour wrong PINs in any hour, for any pattern of attempts and restarts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400_000 }), restart: fc.boolean() }), { minLength: 1, maxLength: 150 }),
        (steps) => {
          let s = initialLockout();
          let t = 0;
          const evaluated: number[] = [];
          for (const step of steps) {
            t += step.gap;
            if (step.restart) {
              // A restart resumes from the saved state on a monotonic clock that starts elsewhere; time lines up again.
              s = resumeLockout(persistLockout(s, t), t);
            }
            if (!isLockedOut(s, t)) evaluated.push(t);
            s = recordFailure(s, t, policy).state;
            expect(remainingMs(s, t)).toBeGreaterThanOrEqual(0);
          }
          for (const u of evaluated) expect(evaluated.filter((v) => v > u - HOUR_MS && v <= u).length).toBeLessThanOrEqual(12);
        },
      ),
      { numRuns: 300 },
    );
  });
});
