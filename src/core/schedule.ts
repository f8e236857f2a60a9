/**
 * Weekly time slots in the site time zone: "mon-fri 07:00-19:00", "sat,sun 10:00-14:00", "daily 22:00-06:00".
 * A slot whose end is before its start runs past midnight into the next day, and belongs to the day it starts.
 * Local time comes from Intl, so DST changes are honoured.
 */
import { zoneOffsetMs } from './site-time.js';

export interface Slot {
  /** Bit 0 = Monday ... bit 6 = Sunday. */
  days: number;
  startMinute: number;
  /** 1..1440; below startMinute means the slot crosses midnight. */
  endMinute: number;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const ALL_DAYS = 0b1111111;

export type SlotParse = { ok: true; slot: Slot } | { ok: false; message: string };

export function parseSlot(spec: string): SlotParse {
  const m = /^\s*([a-z,-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/i.exec(spec);
  if (!m) return { ok: false, message: 'must look like "mon-fri 07:00-19:00" (days, then start-end)' };
  const days = parseDays(m[1]!.toLowerCase());
  if (days === null) return { ok: false, message: 'days must be mon..sun, ranges (mon-fri), lists (sat,sun), daily, weekdays or weekends' };
  const start = minutes(m[2]!, m[3]!);
  const end = minutes(m[4]!, m[5]!);
  if (start === null || start >= 1440 || end === null || end === 0) return { ok: false, message: 'times must be 00:00-23:59, end up to 24:00' };
  if (start === end) return { ok: false, message: 'start and end must differ' };
  return { ok: true, slot: { days, startMinute: start, endMinute: end } };
}

function minutes(h: string, m: string): number | null {
  const hh = Number(h);
  const mm = Number(m);
  if (mm > 59 || hh > 24 || (hh === 24 && mm !== 0)) return null;
  return hh * 60 + mm;
}

function parseDays(text: string): number | null {
  if (text === 'daily') return ALL_DAYS;
  if (text === 'weekdays') return 0b0011111;
  if (text === 'weekends') return 0b1100000;
  let mask = 0;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const from = DAY_NAMES.indexOf(a ?? '');
    const to = b === undefined ? from : DAY_NAMES.indexOf(b);
    if (from < 0 || to < 0 || part.split('-').length > 2) return null;
    // mon-fri, and wrapping ranges such as fri-mon.
    for (let d = from; ; d = (d + 1) % 7) {
      mask |= 1 << d;
      if (d === to) break;
    }
  }
  return mask;
}

export function formatSlot(s: Slot): string {
  const days = s.days === ALL_DAYS ? 'daily' : DAY_NAMES.filter((_, i) => s.days & (1 << i)).join(',');
  const hm = (n: number) => `${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}`;
  return `${days} ${hm(s.startMinute)}-${hm(s.endMinute)}`;
}

/** Local weekday (0 = Monday) and minute of the day at `ms` in `zone`. */
export function localWeekMinute(ms: number, zone: string): { day: number; minute: number } {
  const local = new Date(ms + zoneOffsetMs(ms, zone));
  return { day: (local.getUTCDay() + 6) % 7, minute: local.getUTCHours() * 60 + local.getUTCMinutes() };
}

export function slotCovers(slot: Slot, at: { day: number; minute: number }): boolean {
  const today = (slot.days & (1 << at.day)) !== 0;
  if (slot.endMinute > slot.startMinute) return today && at.minute >= slot.startMinute && at.minute < slot.endMinute;
  const yesterday = (slot.days & (1 << ((at.day + 6) % 7))) !== 0;
  return (today && at.minute >= slot.startMinute) || (yesterday && at.minute < slot.endMinute);
}
