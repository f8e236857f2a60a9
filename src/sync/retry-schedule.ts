/**
 * When the sync worker pulls again after a failed pull: from 15 s, doubling with each further failure up to the
 * pull interval, with ±25% jitter so that a building's controllers do not retry in step; never sooner than a 429
 * asked. Pure, so the schedule is tested without waiting for it.
 */
import { backoffMs } from '../core/backoff.js';

export const FIRST_RETRY_MS = 15_000;

export function retryDelayMs(
  consecutiveFailures: number,
  intervalMs: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const wait = backoffMs(consecutiveFailures, { firstMs: FIRST_RETRY_MS, maxMs: intervalMs, jitter: 0.25 }, random);
  return Math.max(wait, retryAfterMs ?? 0);
}
