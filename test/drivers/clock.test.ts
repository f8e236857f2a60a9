import { afterEach, describe, expect, it, vi } from 'vitest';
import { RELEASE_FLOOR_MS, SystemClock } from '../../src/drivers/clock.js';

afterEach(() => vi.useRealTimers());

/** The wall clock set to `iso` (Date only: the monotonic clock keeps running). */
const at = (iso: string) => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(iso));
};

describe('SystemClock trust', () => {
  it('never trusts a clock at 1970 (a Pi with no RTC before NTP), even under clock.trust rtc or always', () => {
    at('1970-01-01T00:00:05Z');
    for (const policy of ['rtc', 'always'] as const) {
      const clock = new SystemClock(policy, '/nonexistent');
      expect(clock.trusted()).toBe(false);
      expect(clock.untrustedReason()).toMatch(/1970-01-01T00:00:05.000Z\) is earlier than 2026-11-01/);
    }
  });

  it('distrusts a clock behind the newest trusted event, and trusts it again once it has caught up', () => {
    at('2027-03-01T12:00:00Z');
    const clock = new SystemClock('rtc', '/nonexistent');
    expect(clock.trusted()).toBe(true);
    clock.setFloor(Date.parse('2027-03-03T12:00:00Z')); // an event stored two days "later"
    expect(clock.trusted()).toBe(false);
    vi.setSystemTime(new Date('2027-03-03T12:00:01Z'));
    expect(clock.trusted()).toBe(true);
    // A floor can only rise above the release date, never fall below it.
    clock.setFloor(0);
    vi.setSystemTime(RELEASE_FLOOR_MS - 1);
    expect(clock.trusted()).toBe(false);
  });

  it('lets an NTP sync outrank the floor (the floor may come from a clock that ran ahead)', () => {
    at('2027-03-01T12:00:00Z');
    const clock = new SystemClock('timesyncd', '/');
    clock.setFloor(Date.parse('2027-06-01T00:00:00Z'));
    expect(clock.trusted()).toBe(true);
    expect(new SystemClock('timesyncd', '/nonexistent').untrustedReason()).toMatch(/has not synchronised/);
  });
});
