/**
 * Admin operations on the site calendar: auto-unlock shifts (named weekly slots) and holidays (one-off or yearly
 * dates, closed or with their own slots), from the CLI, config and the API alike; and the import of public holidays
 * from an iCalendar file, parsed by node-ical (all-day events become closed days; a yearly rule, a yearly date).
 */
import ical from 'node-ical';
import { formatSlot, parseSlot, type Slot } from '../core/schedule.js';
import { parseHolidayDate, type Holiday, type Shift } from '../core/site-calendar.js';
import { controlCharProblem } from '../core/text.js';
import { CalendarRepo } from '../storage/calendar-repo.js';
import { type AdminContext, nowIso } from './context.js';
import { invalid, notFound, Problems } from './errors.js';

export interface ShiftView {
  id: number;
  name: string;
  slots: string[];
  first_person_in: boolean;
  last_to_leave: boolean;
}

export interface HolidayView {
  id: number;
  name: string;
  date: string;
  yearly: boolean;
  closed: boolean;
  slots: string[];
}

const shiftView = (s: Shift): ShiftView => ({
  id: s.id,
  name: s.name,
  slots: s.slots.map(formatSlot),
  first_person_in: s.firstPersonIn,
  last_to_leave: s.lastToLeave,
});
const holidayView = (h: Holiday): HolidayView => ({
  id: h.id,
  name: h.name,
  date: h.date,
  yearly: h.date.length === 5,
  closed: h.closed,
  slots: h.slots.map(formatSlot),
});

function readName(field: string, text: string | undefined, p: Problems): string {
  const name = text?.trim() ?? '';
  if (name === '') p.add(field, 'must not be empty');
  else if (name.length > 100) p.add(field, 'must be at most 100 characters');
  const bad = controlCharProblem(name);
  if (bad) p.add(field, bad);
  return name;
}

function readSlots(specs: readonly string[], p: Problems): Slot[] {
  const slots: Slot[] = [];
  for (const spec of specs) {
    const r = parseSlot(spec);
    if (r.ok) slots.push(r.slot);
    else p.add('slot', `"${spec}": ${r.message}`);
  }
  return slots;
}

export function addShift(
  ctx: AdminContext,
  input: { name?: string; slots?: string[]; first_person_in?: boolean; last_to_leave?: boolean },
): ShiftView {
  const p = new Problems();
  const name = readName('name', input.name, p);
  const slots = readSlots(input.slots ?? [], p);
  if ((input.slots ?? []).length === 0) p.add('slot', 'a shift needs at least one weekly slot, e.g. "mon-fri 09:00-17:00"');
  p.throwIfAny();
  const repo = new CalendarRepo(ctx.store.db);
  return ctx.store.db
    .transaction(() => {
      if (repo.shiftByName(name)) throw invalid('name', 'is already in use by another shift');
      const id = repo.addShift(
        { name, slots, firstPersonIn: input.first_person_in === true, lastToLeave: input.last_to_leave === true },
        nowIso(ctx),
      );
      return shiftView(repo.shifts().find((s) => s.id === id)!);
    })
    .immediate();
}

export function listShifts(ctx: AdminContext): ShiftView[] {
  return new CalendarRepo(ctx.store.db).shifts().map(shiftView);
}

/** Refuses to delete a shift a door's auto-unlock still names (the door would silently stop unlocking). */
export function deleteShift(ctx: AdminContext, id: number): { id: number; deleted: true } {
  const repo = new CalendarRepo(ctx.store.db);
  if (!repo.shifts().some((s) => s.id === id)) throw notFound('shift', `no shift ${id}`);
  const doors = repo.doorsUsingShift(id);
  if (doors.length > 0) throw invalid('shift', `is the auto-unlock shift of door ${doors.join(', ')}: set their auto-unlock off first`);
  repo.deleteShift(id);
  return { id, deleted: true };
}

export function addHoliday(ctx: AdminContext, input: { name?: string; date?: string; slots?: string[] }): HolidayView {
  const p = new Problems();
  const name = readName('name', input.name, p);
  const date = parseHolidayDate(input.date ?? '');
  if (!date.ok) p.add('date', date.message);
  const slots = readSlots(input.slots ?? [], p);
  p.throwIfAny();
  const repo = new CalendarRepo(ctx.store.db);
  const id = repo.putHoliday({ name, date: date.ok ? date.date : '', closed: slots.length === 0, slots }, nowIso(ctx));
  return holidayView(repo.holidays().find((h) => h.id === id)!);
}

export function listHolidays(ctx: AdminContext): HolidayView[] {
  return new CalendarRepo(ctx.store.db).holidays().map(holidayView);
}

export function deleteHoliday(ctx: AdminContext, id: number): { id: number; deleted: true } {
  if (!new CalendarRepo(ctx.store.db).deleteHoliday(id)) throw notFound('holiday', `no holiday ${id}`);
  return { id, deleted: true };
}

const ymd = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const text = (v: unknown): string =>
  typeof v === 'string' ? v : v && typeof v === 'object' && 'val' in v ? String((v as { val: unknown }).val) : '';

/**
 * Imports the all-day events of an iCalendar file as closed holidays: a yearly rule becomes a yearly date, a
 * several-day event one date per day. Timed events are skipped (they are not days off). Returns what was imported.
 */
export function importHolidays(ctx: AdminContext, ics: string): { imported: HolidayView[]; skipped: number } {
  let parsed: ReturnType<typeof ical.sync.parseICS>;
  try {
    parsed = ical.sync.parseICS(ics);
  } catch (err) {
    throw invalid('file', `is not an iCalendar file (${(err as Error).message})`);
  }
  const repo = new CalendarRepo(ctx.store.db);
  const now = nowIso(ctx);
  const ids: number[] = [];
  let skipped = 0;
  let events = 0;
  ctx.store.db
    .transaction(() => {
      for (const c of Object.values(parsed)) {
        if (!c || c.type !== 'VEVENT') continue;
        events++;
        const name = text(c.summary).trim().slice(0, 100) || 'Holiday';
        if (c.datetype !== 'date' || controlCharProblem(name)) {
          skipped++;
          continue;
        }
        // node-ical's rule names its frequency ("YEARLY"); older rrule builds number it (0 = yearly).
        const freq = c.rrule?.options.freq as unknown;
        const options = c.rrule?.options as { count?: unknown; until?: unknown } | undefined;
        // An open-ended yearly rule only: one with an end is imported as its first date.
        const yearly = (freq === 'YEARLY' || freq === 0) && options?.count == null && options?.until == null;
        const start = new Date(c.start);
        const end = c.end ? new Date(c.end) : new Date(start.getFullYear(), start.getMonth(), start.getDate() + 1);
        for (let d = start; d < end; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) {
          const date = yearly ? ymd(d).slice(5) : ymd(d);
          ids.push(repo.putHoliday({ name, date, closed: true, slots: [], uid: c.uid }, now));
        }
      }
    })
    .immediate();
  if (events === 0) throw invalid('file', 'has no events (VEVENT)');
  const all = repo.holidays();
  return { imported: ids.map((id) => holidayView(all.find((h) => h.id === id)!)), skipped };
}

/** The config file's shifts (by name) and holidays (by date) into the database, at start, in one transaction. */
export function applyCalendarConfig(ctx: AdminContext): { shifts: number; holidays: number } {
  const { shifts, holidays } = ctx.config;
  if (shifts.length === 0 && holidays.length === 0) return { shifts: 0, holidays: 0 };
  const repo = new CalendarRepo(ctx.store.db);
  const now = nowIso(ctx);
  const slotsOf = (specs: readonly string[]) => specs.map((spec) => (parseSlot(spec) as { ok: true; slot: Slot }).slot);
  ctx.store.db
    .transaction(() => {
      for (const s of shifts) {
        const shift = { slots: slotsOf(s.slots), firstPersonIn: s.first_person_in, lastToLeave: s.last_to_leave };
        const existing = repo.shiftByName(s.name);
        if (existing) repo.updateShift(existing.id, shift);
        else repo.addShift({ name: s.name, ...shift }, now);
      }
      for (const h of holidays) repo.putHoliday({ name: h.name, date: h.date, closed: h.slots.length === 0, slots: slotsOf(h.slots) }, now);
    })
    .immediate();
  return { shifts: shifts.length, holidays: holidays.length };
}
