/**
 * Probing for PINs through the API, per token. With digest storage a token can learn that a PIN exists in one way
 * only: POST it as a custom PIN and be told "is already in use". Those refusals are guesses, so they run on the
 * keypad's own lockout machine (core/lockout.ts, monotonic clock): 10 within a minute throttle the token for a
 * minute, doubling, at most 30 in any hour, and an alarm at each 10 within an hour. While a token is throttled, its
 * custom PINs are refused unseen (429), a free value like a taken one, so the throttle is no oracle either.
 */
import { initialLockout, isLockedOut, recordFailure, remainingMs, settle, type LockoutPolicy, type LockoutState } from '../core/lockout.js';

export const PIN_PROBE_POLICY: LockoutPolicy = {
  attempts: 10,
  windowMs: 60_000,
  durationMs: 60_000,
  maxDurationMs: 15 * 60_000,
  maxPerHour: 30,
  alarmAfter: 10,
  levelDecayMs: 3_600_000,
};

/** Tokens are few (an admin makes each), but the map is bounded anyway: the quietest are forgotten first. */
const MAX_TOKENS = 1000;

export interface ProbeOutcome {
  /** This refusal started a throttle of `throttledMs`. */
  throttledNow: boolean;
  throttledMs: number;
  /** This refusal reached the alarm threshold (or a further multiple of it) within an hour. */
  alarm: boolean;
  /** Refusals of this token within the last hour, this one included. */
  lastHour: number;
}

export class PinProbeGuard {
  private readonly states = new Map<number, LockoutState>();

  constructor(
    private readonly policy: LockoutPolicy = PIN_PROBE_POLICY,
    private readonly monoMs: () => number = () => performance.now(),
  ) {}

  /** Milliseconds before this token may send a custom PIN again; 0 when it may now. */
  throttledForMs(tokenId: number): number {
    const s = this.states.get(tokenId);
    return s ? Math.ceil(remainingMs(s, this.monoMs())) : 0;
  }

  /** A custom PIN of this token was refused because someone holds it. */
  refused(tokenId: number): ProbeOutcome {
    const now = this.monoMs();
    const before = this.states.get(tokenId) ?? initialLockout();
    const r = recordFailure(before, now, this.policy);
    this.states.delete(tokenId);
    this.states.set(tokenId, r.state);
    if (this.states.size > MAX_TOKENS) this.forgetQuietest(now);
    return { throttledNow: r.lockedNow, throttledMs: r.durationMs, alarm: r.alarm, lastHour: r.state.failures.length };
  }

  /** Drops tokens with nothing left to count; failing that, the one refused longest ago (Map keeps that order). */
  private forgetQuietest(now: number): void {
    for (const [id, s] of this.states) {
      const settled = settle(s, now, this.policy);
      if (!isLockedOut(settled, now) && settled.failures.length === 0 && settled.level === 0) this.states.delete(id);
    }
    if (this.states.size > MAX_TOKENS) this.states.delete(this.states.keys().next().value!);
  }
}
