import { describe, expect, it } from 'vitest';
import { isValidTimeZone, parseSiteTime, toIsoSeconds } from '../../src/core/site-time.js';

const iso = (ms: number | null) => (ms === null ? null : toIsoSeconds(ms));

describe('site time', () => {
  it('takes times with Z or an offset as given', () => {
    expect(iso(parseSiteTime('2024-01-15T09:00:00Z', 'Europe/London'))).toBe('2024-01-15T09:00:00Z');
    expect(iso(parseSiteTime('2024-01-15T09:00:00+02:00', 'Europe/London'))).toBe('2024-01-15T07:00:00Z');
    expect(iso(parseSiteTime('2024-01-15T09:00:00.500Z', 'UTC'))).toBe('2024-01-15T09:00:00Z');
  });

  it('reads times without an offset in the site time zone, with DST', () => {
    expect(iso(parseSiteTime('2024-01-15T09:00', 'Europe/London'))).toBe('2024-01-15T09:00:00Z');
    expect(iso(parseSiteTime('2024-07-15T09:00', 'Europe/London'))).toBe('2024-07-15T08:00:00Z');
    expect(iso(parseSiteTime('2024-07-15 09:00:30', 'America/New_York'))).toBe('2024-07-15T13:00:30Z');
    expect(iso(parseSiteTime('2024-01-15', 'Australia/Sydney'))).toBe('2024-01-14T13:00:00Z');
  });

  it('moves a time in the spring-forward gap forward, and takes the earlier of a fall-back fold', () => {
    // London 2024-03-31 01:30 does not exist: clocks jump 01:00 -> 02:00.
    expect(iso(parseSiteTime('2024-03-31T01:30', 'Europe/London'))).toBe('2024-03-31T01:30:00Z');
    // New York 2024-03-10 02:30 does not exist either.
    expect(iso(parseSiteTime('2024-03-10T02:30', 'America/New_York'))).toBe('2024-03-10T07:30:00Z');
    // London 2024-10-27 01:30 happens twice: first in BST (00:30Z).
    expect(iso(parseSiteTime('2024-10-27T01:30', 'Europe/London'))).toBe('2024-10-27T00:30:00Z');
  });

  it.each(['tomorrow', '2024-02-31', '2024-13-01T00:00', '2024-01-15T25:00', '15/01/2024', ''])('refuses %j', (text) => {
    expect(parseSiteTime(text, 'UTC')).toBeNull();
  });

  it('knows IANA zone names', () => {
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
