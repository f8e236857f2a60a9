/**
 * Exponential backoff, the one rule every retry in keypadd follows (sync pulls and requests, the MQTT reconnect, the
 * event writer, a serial keypad that went away): the first wait, doubling each attempt up to a ceiling, with jitter
 * so that a building's controllers do not retry in step. Pure: `random` is passed in for tests.
 */
export interface Backoff {
  firstMs: number;
  maxMs: number;
  /** ± this fraction of the wait, at random (0: none). */
  jitter: number;
}

/** The wait before retry `attempt` (1 for the first retry). */
export function backoffMs(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const base = Math.min(b.maxMs, b.firstMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return base * (1 - b.jitter + 2 * b.jitter * random());
}
