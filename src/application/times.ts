/**
 * Admin-entered times: ISO 8601 with an offset, or a local date/time in the site's zone; and the same times shown
 * back to people in the site's zone, with the offset, so what was typed is what is echoed.
 */
import { parseSiteTime, toIsoSeconds, zoneOffsetMs } from '../core/site-time.js';
import type { Problems } from './errors.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * What a date without a time means. An admin who types `--end 2026-12-31` means "through the 31st", so the end of
 * an interval (`end`: a reservation's end, valid_to) is the next day's local midnight, the exclusive end the store
 * keeps; its start (`start`: a reservation's start, valid_from, a --since) is that day's local midnight.
 */
export type DateOnlyMeans = 'start' | 'end';

/** The time as stored (UTC, seconds), or null after adding the problem; undefined/empty stays null without one. */
export function readTime(
  field: string,
  text: string | null | undefined,
  zone: string,
  problems: Problems,
  dateOnly: DateOnlyMeans = 'start',
): string | null {
  if (text === undefined || text === null || text === '') return null;
  const ms = parseSiteTime(text, zone);
  if (ms === null) {
    problems.add(field, 'must be an ISO 8601 time (2024-01-15T09:00:00Z, or 2024-01-15T09:00 in the site time zone)');
    return null;
  }
  const date = DATE_ONLY.exec(text);
  if (date && dateOnly === 'end') {
    // The next calendar day by the calendar, not +24 h: a day with a DST change is 23 or 25 hours long.
    const next = new Date(Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]) + 1)).toISOString().slice(0, 10);
    return toIsoSeconds(parseSiteTime(next, zone)!);
  }
  return toIsoSeconds(ms);
}

/** A stored UTC time as the site's wall clock shows it, with the offset: `2030-01-15T09:00:00+01:00`. */
export function siteTime(iso: string, zone: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const offset = zoneOffsetMs(ms, zone);
  const local = new Date(ms + offset).toISOString().slice(0, 19);
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * The exclusive end of an interval, shown in site time; at local midnight it also says which day it runs through,
 * so `--end 2026-12-31` reads back as "2027-01-01T00:00:00+00:00 (through 2026-12-31)".
 */
export function siteEnd(iso: string, zone: string): string {
  const shown = siteTime(iso, zone);
  if (shown.slice(10, 19) !== 'T00:00:00') return shown;
  return `${shown} (through ${siteDateOrTime(iso, zone, 'end')})`;
}

/**
 * A stored time as an admin would type it back in, the inverse of readTime: a date alone when it falls on a local
 * midnight (the start of that day; for an end, the day it runs through), else the site time with its offset.
 */
export function siteDateOrTime(iso: string, zone: string, dateOnly: DateOnlyMeans): string {
  const shown = siteTime(iso, zone);
  if (shown.slice(10, 19) !== 'T00:00:00') return shown;
  if (dateOnly === 'start') return shown.slice(0, 10);
  const [y, m, d] = shown.slice(0, 10).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}
