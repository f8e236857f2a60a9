/**
 * The suspicious-access rules (part of the one config schema), each on by default, and the one conversion from
 * these settings to the rules' policy (core/anomaly-rules.ts).
 */
import { z } from 'zod';
import type { AnomalyPolicy } from '../core/anomaly-rules.js';

export const anomaliesSchema = z
  .strictObject({
    new_hour: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Raise access_anomaly when a person is let in at an hour of day (site time) none of their recent grants fell in.'),
        days: z.int().min(1).max(365).default(30).describe('The window of past grants looked at, in days.'),
        min_history: z
          .int()
          .min(1)
          .max(1000)
          .default(5)
          .describe('Grants a person needs in the window before a new hour counts: their first uses are not suspicious.'),
      })
      .prefault({})
      .describe('A PIN or card used at an hour its person never used in the window.'),
    after_window: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Raise access_anomaly when a visitor's PIN is tried after their last reservation ended."),
      })
      .prefault({})
      .describe('A visitor PIN tried after its window.'),
    wrong_pin_burst: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Raise access_anomaly when wrong PINs are typed at several doors of the site at once.'),
        doors: z.int().min(2).max(1000).default(2).describe('Distinct doors with a wrong PIN within within_s that make a burst.'),
        within_s: z.number().min(1).max(3600).default(60).describe('The window of a burst; one event per window however long it goes on.'),
      })
      .prefault({})
      .describe('The same wrong-PIN burst across several doors.'),
  })
  .prefault({})
  .describe('Suspicious access patterns, each raised as an access_anomaly alarm event; the decision at the door is never changed.');

export type AnomaliesConfig = z.output<typeof anomaliesSchema>;

export function anomalyPolicy(c: AnomaliesConfig): AnomalyPolicy {
  return {
    newHour: { enabled: c.new_hour.enabled, days: c.new_hour.days, minHistory: c.new_hour.min_history },
    afterWindow: { enabled: c.after_window.enabled },
    wrongPinBurst: { enabled: c.wrong_pin_burst.enabled, doors: c.wrong_pin_burst.doors, withinMs: c.wrong_pin_burst.within_s * 1000 },
  };
}
