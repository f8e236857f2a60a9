/**
 * The site calendar: lockdowns, holidays and auto-unlock shifts, as pure rules with time passed in.
 *
 * - A lockdown is set on a door or on the whole site; a door is locked down for an input (card, REX, aux) when
 *   either is. Cards and PINs share DoorFlow's card_lockdown (a keypad is a reader here).
 * - A holiday is a local date in the site time zone, one-off ("2026-12-24") or yearly ("12-25"). It is either closed
 *   all day or has its own slots for that day, and it replaces every timed role schedule and every shift for the whole
 *   local date. Roles without slots (24/7: security, admins) are not schedules and are not touched.
 * - A shift is a named set of weekly slots; on a holiday the holiday's rule replaces them.
 */
import { zoneOffsetMs } from './site-time.js';
import { ALL_DAYS, localWeekMinute, slotCovers, type Slot } from './schedule.js';

/** Which inputs a lockdown refuses. All false = no lockdown. */
export interface LockdownState {
  card: boolean;
  rex: boolean;
  aux: boolean;
}

export const NO_LOCKDOWN: LockdownState = { card: false, rex: false, aux: false };

/** The door's effective lockdown: its own or the site's, input by input. */
export function effectiveLockdown(door: LockdownState | null, site: LockdownState | null): LockdownState {
  const a = door ?? NO_LOCKDOWN;
  const b = site ?? NO_LOCKDOWN;
  return { card: a.card || b.card, rex: a.rex || b.rex, aux: a.aux || b.aux };
}

export const isLockedDown = (l: LockdownState | null): boolean => l !== null && (l.card || l.rex || l.aux);

/** DoorFlow's lockdown message for what is refused. */
export function lockdownMessage(l: LockdownState): string {
  const parts = [l.card ? 'Cards and PINs' : null, l.rex ? 'REX' : null, l.aux ? 'AUX inputs' : null].filter((p) => p !== null);
  return parts.length === 0 ? 'No lockdown' : `${parts.join(', ').replace(/, ([^,]*)$/, ' and $1')} will be rejected`;
}

export interface Holiday {
  id: number;
  name: string;
  /** "YYYY-MM-DD" (one-off) or "MM-DD" (every year). */
  date: string;
  /** Closed all day, or open only in `slots` (their days are ignored: they apply to the holiday's date). */
  closed: boolean;
  slots: Slot[];
}

export type HolidayDateParse = { ok: true; date: string } | { ok: false; message: string };

/** Checks a holiday date: "2026-12-24" once, "12-25" every year; Feb 29 only as a yearly date or in a leap year. */
export function parseHolidayDate(text: string): HolidayDateParse {
  const m = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return { ok: false, message: 'must be YYYY-MM-DD (once) or MM-DD (every year)' };
  const year = m[1] === undefined ? 2024 : Number(m[1]); // a leap year lets a yearly Feb 29 through
  const month = Number(m[2]);
  const day = Number(m[3]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || d.getUTCDate() !== day) return { ok: false, message: `${text} is not a date` };
  return { ok: true, date: text.trim() };
}

/** The site's local calendar date at `ms` ("YYYY-MM-DD"). */
export function localDate(ms: number, zone: string): string {
  return new Date(ms + zoneOffsetMs(ms, zone)).toISOString().slice(0, 10);
}

/** The holiday on the local date at `ms`, if any; a one-off date wins over a yearly one on the same day. */
export function holidayAt(holidays: readonly Holiday[], ms: number, zone: string): Holiday | null {
  const date = localDate(ms, zone);
  return holidays.find((h) => h.date === date) ?? holidays.find((h) => h.date === date.slice(5)) ?? null;
}

/**
 * Whether weekly `slots` cover `ms`, with the holidays applied: on a holiday its own rule decides (closed: never; else
 * its slots, on any weekday). A slot running past midnight into a holiday ends at midnight.
 */
export function slotsCoverWithHolidays(slots: readonly Slot[], holidays: readonly Holiday[], ms: number, zone: string): boolean {
  const at = localWeekMinute(ms, zone);
  const holiday = holidayAt(holidays, ms, zone);
  if (holiday) return !holiday.closed && holiday.slots.some((s) => slotCovers({ ...s, days: ALL_DAYS }, at) && coversToday(s, at.minute));
  return slots.some((s) => slotCovers(s, at));
}

/** A holiday's slot that crosses midnight counts from its start to midnight of the holiday only. */
function coversToday(s: Slot, minute: number): boolean {
  return s.endMinute > s.startMinute || minute >= s.startMinute;
}

export interface Shift {
  id: number;
  name: string;
  slots: Slot[];
  /** The door unlocks only once someone with access is granted at it after the shift starts. */
  firstPersonIn: boolean;
  /** After the shift ends the door stays unlocked until a REX press or a card or PIN (the last to leave), capped. */
  lastToLeave: boolean;
}

/** Whether a shift runs now. An untrusted clock never runs one: a wrong clock must not open a door. */
export function shiftRunning(shift: Shift, holidays: readonly Holiday[], ms: number, zone: string, trusted: boolean): boolean {
  return trusted && slotsCoverWithHolidays(shift.slots, holidays, ms, zone);
}
