/**
 * Shifts and holidays in the config file, as the CLI makes them (README "Site operations"): applied at each start,
 * a shift by its name (added, or its slots and options updated), a holiday by its date. Removing one from the file
 * does not delete it from the database (the CLI's `shift delete`/`holiday delete` do), so an admin's CLI work is
 * never undone by a config file that does not mention it.
 */
import { z } from 'zod';
import { parseSlot } from '../core/schedule.js';
import { parseHolidayDate } from '../core/site-calendar.js';
import { controlText, noControl } from './door-schema.js';

const slot = z
  .string()
  .refine((s) => parseSlot(s).ok, { error: (i) => (parseSlot(String(i.input)) as { message?: string }).message ?? 'not a slot' })
  .describe('A weekly slot in site time, e.g. "mon-fri 09:00-17:00".');

export const shiftsSchema = z
  .array(
    z.strictObject({
      name: z.string().trim().min(1).max(100).refine(noControl, controlText).describe('Shift name (unique).'),
      slots: z.array(slot).min(1, 'a shift needs at least one slot').describe('Its weekly slots.'),
      first_person_in: z.boolean().default(false).describe('Unlock only once someone with access is let in after the start.'),
      last_to_leave: z.boolean().default(false).describe('After the end, stay unlocked until a REX press, card or PIN (at most an hour).'),
    }),
  )
  .default([])
  .describe('Auto-unlock shifts (named weekly slots), applied at start by name; a door uses one with `keypadd door auto-unlock`.');

export const holidaysSchema = z
  .array(
    z.strictObject({
      name: z.string().trim().min(1).max(100).refine(noControl, controlText).describe('What the day is.'),
      date: z
        .string()
        .refine((d) => parseHolidayDate(d).ok, 'must be YYYY-MM-DD (once) or MM-DD (every year)')
        .describe('YYYY-MM-DD once, or MM-DD every year.'),
      slots: z.array(slot).default([]).describe('Open only in these slots that day; empty: closed all day.'),
    }),
  )
  .default([])
  .describe('Holidays overriding timed role schedules and shifts, applied at start by date.');
