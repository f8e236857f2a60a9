/** Admin-typed times: a date alone at the start and at the end of an interval, across DST; and site-time echoes. */
import { describe, expect, it } from 'vitest';
import { Problems } from '../../src/application/errors.js';
import { readTime, siteEnd, siteTime } from '../../src/application/times.js';

const read = (text: string, zone: string, dateOnly?: 'start' | 'end') => readTime('t', text, zone, new Problems(), dateOnly);

describe('readTime', () => {
  it('reads a date alone as the start of that local day for a start, and the next local midnight for an end', () => {
    expect(read('2026-12-31', 'Europe/London', 'start')).toBe('2026-12-31T00:00:00Z');
    expect(read('2026-12-31', 'Europe/London', 'end')).toBe('2027-01-01T00:00:00Z');
    expect(read('2026-07-01', 'Europe/London', 'end')).toBe('2026-07-01T23:00:00Z'); // 2 July 00:00 BST
    expect(read('2026-02-28', 'Australia/Sydney', 'end')).toBe('2026-02-28T13:00:00Z'); // 1 March 00:00 AEDT
    // A time of day is taken as typed, whichever end it is.
    expect(read('2026-12-31T17:00', 'Europe/London', 'end')).toBe('2026-12-31T17:00:00Z');
    expect(read('2026-12-31T00:00', 'Europe/London', 'end')).toBe('2026-12-31T00:00:00Z');
  });

  it('counts a DST day by the calendar: the 23-hour spring day and the 25-hour autumn day are whole days', () => {
    // Europe/London: clocks go forward on 29 March 2026 and back on 25 October 2026.
    const springStart = read('2026-03-29', 'Europe/London', 'start')!;
    const springEnd = read('2026-03-29', 'Europe/London', 'end')!;
    expect([springStart, springEnd]).toEqual(['2026-03-29T00:00:00Z', '2026-03-29T23:00:00Z']);
    expect(Date.parse(springEnd) - Date.parse(springStart)).toBe(23 * 3_600_000);
    const autumnStart = read('2026-10-25', 'Europe/London', 'start')!;
    const autumnEnd = read('2026-10-25', 'Europe/London', 'end')!;
    expect([autumnStart, autumnEnd]).toEqual(['2026-10-24T23:00:00Z', '2026-10-26T00:00:00Z']);
    expect(Date.parse(autumnEnd) - Date.parse(autumnStart)).toBe(25 * 3_600_000);
    // America/New_York springs forward on 8 March 2026.
    expect(read('2026-03-07', 'America/New_York', 'end')).toBe('2026-03-08T05:00:00Z');
    expect(read('2026-03-08', 'America/New_York', 'end')).toBe('2026-03-09T04:00:00Z');
  });

  it('refuses a date that is not one, naming the field', () => {
    const problems = new Problems();
    expect(readTime('end_time', '2026-02-30', 'UTC', problems, 'end')).toBeNull();
    expect(() => problems.throwIfAny()).toThrow('end_time: must be an ISO 8601 time');
  });
});

describe('siteTime and siteEnd', () => {
  it('show a stored UTC time on the site wall clock with its offset, either side of a DST change', () => {
    expect(siteTime('2026-03-29T00:59:59Z', 'Europe/London')).toBe('2026-03-29T00:59:59+00:00');
    expect(siteTime('2026-03-29T01:00:00Z', 'Europe/London')).toBe('2026-03-29T02:00:00+01:00');
    expect(siteTime('2026-01-15T14:30:00Z', 'America/New_York')).toBe('2026-01-15T09:30:00-05:00');
    expect(siteTime('2026-01-15T14:30:00Z', 'Asia/Kolkata')).toBe('2026-01-15T20:00:00+05:30');
    expect(siteTime('2026-01-15T14:30:00Z', 'UTC')).toBe('2026-01-15T14:30:00+00:00');
  });

  it('shows an end at local midnight with the day it runs through, so a typed date reads back as typed', () => {
    expect(siteEnd(read('2026-03-29', 'Europe/London', 'end')!, 'Europe/London')).toBe('2026-03-30T00:00:00+01:00 (through 2026-03-29)');
    expect(siteEnd(read('2026-12-31', 'Europe/London', 'end')!, 'Europe/London')).toBe('2027-01-01T00:00:00+00:00 (through 2026-12-31)');
    expect(siteEnd('2026-12-31T17:00:00Z', 'Europe/London')).toBe('2026-12-31T17:00:00+00:00');
  });
});
