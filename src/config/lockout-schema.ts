/**
 * The lockout settings (part of the one config schema): wrong PINs per door keypad, and card guessing per reader,
 * each with bounds that keep the protection on (a window of a microsecond, or a lockout longer than a timer can
 * hold, would switch it off by accident).
 */
import { z } from 'zod';
import type { LockoutPolicy } from '../core/lockout.js';

/** A duration in seconds, between `min` and a day (Node timers hold at most 2^31-1 ms, about 24.8 days). */
const span = (min: number, max = 86_400) => z.number().min(min).max(max);

function lockoutFields(d: { attempts: number; window: number; duration: number; max: number; perHour: number; alarm: number }, what: string) {
  return {
    attempts: z.int().min(1).max(100).default(d.attempts).describe(`${what} within window_s that lock it.`),
    window_s: span(1, 3600).default(d.window).describe(`Window in which those ${what} are counted (since the last lockout began).`),
    duration_s: span(1).default(d.duration).describe('First lockout; each further one doubles.'),
    max_duration_s: span(1).default(d.max).describe('Cap on the doubling lockout.'),
    max_per_hour: z
      .int()
      .min(1)
      .max(1000)
      .default(d.perHour)
      .describe(`${what} looked up in any hour; reaching it locks until the oldest is an hour old, whatever the pace.`),
    alarm_after: z
      .int()
      .min(1)
      .max(1000)
      .default(d.alarm)
      .describe(`${what} within an hour that raise an alarm event (and again at each further multiple).`),
    level_decay_s: span(60, 7 * 86_400)
      .default(3600)
      .describe('Each period this long after a lockout, with no new one, halves the next lockout again.'),
  };
}

export const lockoutSchema = z
  .strictObject({
    ...lockoutFields({ attempts: 3, window: 60, duration: 30, max: 900, perHour: 12, alarm: 10 }, 'Wrong PINs'),
    cards: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Back off a reader that is fed unknown cards (a card emulator scanning numbers).'),
        ...lockoutFields({ attempts: 5, window: 60, duration: 30, max: 300, perHour: 60, alarm: 10 }, 'Unknown cards'),
      })
      .prefault({})
      .describe('Card-guessing backoff per reader, counted apart from PINs: during it every card is refused.'),
  })
  .prefault({})
  .superRefine((l, ctx) => {
    for (const [path, p] of [
      [[], l],
      [['cards'], l.cards],
    ] as const) {
      if (p.max_duration_s < p.duration_s)
        ctx.addIssue({ code: 'custom', path: [...path, 'max_duration_s'], message: `must be at least duration_s (${p.duration_s})` });
    }
  })
  .describe('Wrong-PIN lockout per door keypad, and card backoff per reader, on the monotonic clock.');

type LockoutSettings = Omit<z.output<typeof lockoutSchema>, 'cards'>;

/** The runtime policy from its settings: the one place seconds become milliseconds for the lockout. */
export function lockoutPolicy(l: LockoutSettings): LockoutPolicy {
  return {
    attempts: l.attempts,
    windowMs: l.window_s * 1000,
    durationMs: l.duration_s * 1000,
    maxDurationMs: l.max_duration_s * 1000,
    maxPerHour: l.max_per_hour,
    alarmAfter: l.alarm_after,
    levelDecayMs: l.level_decay_s * 1000,
  };
}
