/**
 * A door's auto-unlock shift as a state machine, pure: the caller says whether the shift runs now (site-calendar.ts
 * shiftRunning, which is false on an untrusted clock) and what happened, and gets the new state and what to do.
 *
 *   idle --shift starts--> unlocked             (DoorFlow code 40 at start)
 *   idle --shift starts, first-person-in--> waiting --a grant at this door--> unlocked
 *   unlocked --shift ends--> idle               (code 41 at the end)
 *   unlocked --shift ends, last-to-leave--> closing --REX, card or PIN, or the cap--> idle
 *   any --lockdown, or the clock no longer trusted--> idle (locked); it starts again once allowed, as at a shift start
 */
export type AutoUnlockPhase = 'idle' | 'waiting' | 'unlocked' | 'closing';

export interface AutoUnlockState {
  phase: AutoUnlockPhase;
  /** Wall ms the phase began (closing uses it for its cap). */
  sinceMs: number;
}

export type AutoUnlockInput =
  | { kind: 'tick' }
  /** Someone with access was granted at this door. */
  | { kind: 'grant' }
  /** A REX press, or a card or PIN presented: the last person leaving. */
  | { kind: 'leave' };

export interface AutoUnlockContext {
  nowMs: number;
  running: boolean;
  /** The clock is trusted; an unlock never outlives trust in it (the closing cap could not be timed). */
  trusted: boolean;
  firstPersonIn: boolean;
  lastToLeave: boolean;
  /** The door is locked down for cards (an auto-unlock would defeat it). */
  lockedDown: boolean;
  /** How long a last-to-leave door stays unlocked after the shift at most. */
  closingMaxMs: number;
}

/** What the door does: hold the relay unlocked, lock it, or nothing; and the event to record. */
export interface AutoUnlockStep {
  state: AutoUnlockState;
  relay: 'hold' | 'release' | null;
  event: 'auto_unlock_started' | 'auto_unlock_ended' | 'auto_unlock_waiting' | null;
  /** Why it ended, for the event. */
  why?: 'shift_ended' | 'last_to_leave' | 'closing_cap' | 'lockdown' | 'not_running';
}

export const IDLE: AutoUnlockState = { phase: 'idle', sinceMs: 0 };

export function autoUnlockStep(state: AutoUnlockState, input: AutoUnlockInput, ctx: AutoUnlockContext): AutoUnlockStep {
  const to = (phase: AutoUnlockPhase): AutoUnlockState => ({ phase, sinceMs: ctx.nowMs });
  const stay: AutoUnlockStep = { state, relay: null, event: null };
  const end = (why: AutoUnlockStep['why']): AutoUnlockStep => ({ state: to('idle'), relay: 'release', event: 'auto_unlock_ended', why });
  if (ctx.lockedDown || !ctx.trusted) {
    if (state.phase === 'unlocked' || state.phase === 'closing') return end(ctx.lockedDown ? 'lockdown' : 'not_running');
    return state.phase === 'waiting' ? { state: to('idle'), relay: null, event: null } : stay;
  }
  switch (state.phase) {
    case 'idle':
      if (!ctx.running) return stay;
      if (ctx.firstPersonIn) return { state: to('waiting'), relay: null, event: 'auto_unlock_waiting' };
      return { state: to('unlocked'), relay: 'hold', event: 'auto_unlock_started' };
    case 'waiting':
      if (!ctx.running) return { state: to('idle'), relay: null, event: null };
      return input.kind === 'grant' ? { state: to('unlocked'), relay: 'hold', event: 'auto_unlock_started' } : stay;
    case 'unlocked':
      if (ctx.running) return stay;
      return ctx.lastToLeave ? { state: to('closing'), relay: null, event: null } : end('shift_ended');
    case 'closing':
      // The next shift started before anyone left: simply carry on unlocked.
      if (ctx.running) return { state: to('unlocked'), relay: null, event: null };
      // A REX press, or a card or PIN granted or presented on the way out: the last person is leaving.
      if (input.kind === 'leave' || input.kind === 'grant') return end('last_to_leave');
      return ctx.nowMs - state.sinceMs >= ctx.closingMaxMs ? end('closing_cap') : stay;
  }
}
