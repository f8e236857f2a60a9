/**
 * The suspicious-access rules on their own, with times passed in: new_hour needs history and a site hour outside it
 * (in the site's zone, across DST), after_window only after the last window and with none ahead, and a wrong-PIN
 * burst needs enough distinct doors and is found once per window.
 */
import { describe, expect, it } from 'vitest';
import { afterWindow, countsTowardBurst, GrantHours, siteHour, WrongPinBursts, type AnomalyPolicy } from '../../src/core/anomaly-rules.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NEW_HOUR: AnomalyPolicy['newHour'] = { enabled: true, days: 30, minHistory: 5 };
const at = (iso: string) => Date.parse(iso);

describe('siteHour', () => {
  it('reads the hour on the site wall clock, with DST', () => {
    expect(siteHour(at('2026-01-15T09:30:00Z'), 'UTC')).toBe(9);
    expect(siteHour(at('2026-01-15T09:30:00Z'), 'Europe/London')).toBe(9);
    expect(siteHour(at('2026-07-15T09:30:00Z'), 'Europe/London')).toBe(10);
    expect(siteHour(at('2026-01-15T23:30:00Z'), 'Asia/Kolkata')).toBe(5); // 05:00 next day, +05:30
    expect(siteHour(at('2026-01-15T03:00:00Z'), 'America/New_York')).toBe(22); // the day before
  });
});

describe('new_hour', () => {
  const morning = (hours: GrantHours, person: number, days: number, from = '2026-03-01') => {
    for (let d = 0; d < days; d++) hours.note(person, at(`${from}T09:15:00Z`) + d * DAY);
  };

  it('finds a grant at an hour none of the last 30 days had, once there are 5 grants', () => {
    const hours = new GrantHours(NEW_HOUR, 'UTC');
    morning(hours, 1, 10);
    const late = at('2026-03-11T22:05:00Z');
    expect(hours.grant(1, late)).toEqual({ rule: 'new_hour', hour: 22, grantsInWindow: 10, hoursSeen: [9] });
    // Learnt: the same hour again is no longer new; the usual hour never was.
    expect(hours.grant(1, late + 60_000)).toBeNull();
    expect(hours.grant(1, at('2026-03-12T09:40:00Z'))).toBeNull();
  });

  it('stays quiet for a person with too little history, and for someone else’s history', () => {
    const hours = new GrantHours(NEW_HOUR, 'UTC');
    morning(hours, 1, 4);
    expect(hours.grant(1, at('2026-03-05T22:00:00Z'))).toBeNull(); // 4 grants < min_history 5
    morning(hours, 2, 10);
    expect(hours.grant(3, at('2026-03-11T22:00:00Z'))).toBeNull(); // a newcomer: no history at all
    expect(hours.grant(2, at('2026-03-11T22:00:00Z'))).not.toBeNull();
  });

  it('forgets grants older than the window', () => {
    const hours = new GrantHours(NEW_HOUR, 'UTC');
    for (let d = 0; d < 10; d++) hours.note(1, at('2026-01-01T22:10:00Z') + d * DAY); // evenings, in January
    morning(hours, 1, 10, '2026-02-15');
    // 2026-03-01: the January evenings are more than 30 days back.
    expect(hours.grant(1, at('2026-03-01T22:30:00Z'))).toMatchObject({ hour: 22, grantsInWindow: 10, hoursSeen: [9] });
    const fresh = new GrantHours(NEW_HOUR, 'UTC');
    for (let d = 0; d < 10; d++) fresh.note(1, at('2026-02-10T22:10:00Z') + d * DAY);
    expect(fresh.grant(1, at('2026-03-01T22:30:00Z'))).toBeNull(); // within 30 days: not new
  });

  it('counts hours in the site zone, not UTC', () => {
    const hours = new GrantHours(NEW_HOUR, 'Europe/Berlin');
    morning(hours, 1, 10); // 09:15Z is 10:15 in Berlin (winter)
    expect(hours.grant(1, at('2026-03-11T10:20:00Z'))).toMatchObject({ hour: 11, hoursSeen: [10] });
    expect(hours.grant(1, at('2026-03-12T09:50:00Z'))).toBeNull();
  });

  it('reads the site hour across a DST change, a quarter hour apart (the zone offsets it keeps do not go stale)', () => {
    const hours = new GrantHours({ enabled: true, days: 30, minHistory: 1 }, 'Europe/London');
    hours.note(1, at('2026-03-29T00:50:00Z')); // 00:50 GMT
    // 01:00Z the clocks go forward: 01:05Z is 02:05 BST, and the same instant a day earlier was 01:05 GMT.
    expect(hours.grant(1, at('2026-03-29T01:05:00Z'))).toMatchObject({ hour: 2, hoursSeen: [0] });
    expect(hours.grant(2, at('2026-03-28T01:05:00Z'))).toBeNull();
    expect(hours.grant(2, at('2026-03-29T01:05:00Z'))).toMatchObject({ hour: 2, hoursSeen: [1] });
  });

  it('finds nothing when disabled, but still learns', () => {
    const hours = new GrantHours({ ...NEW_HOUR, enabled: false }, 'UTC');
    morning(hours, 1, 10);
    expect(hours.grant(1, at('2026-03-11T22:05:00Z'))).toBeNull();
  });

  it('honours a shorter window and a lower history bar', () => {
    const hours = new GrantHours({ enabled: true, days: 2, minHistory: 1 }, 'UTC');
    hours.note(1, at('2026-03-01T09:00:00Z'));
    expect(hours.grant(1, at('2026-03-02T15:00:00Z'))).toMatchObject({ hour: 15, grantsInWindow: 1 });
    expect(hours.grant(1, at('2026-03-05T03:00:00Z'))).toBeNull(); // nothing left in the 2-day window
  });
  it('forgets a person unseen for longer than the window, and reuses their slot before growing', () => {
    const hours = new GrantHours({ enabled: true, days: 2, minHistory: 1 }, 'UTC');
    const march = at('2026-03-01T09:00:00Z');
    for (let p = 1; p <= 1024; p++) hours.note(p, march);
    expect(hours.slotCapacity).toBe(1024);
    // Three days on (past the 2-day window), 1024 others: the first lot is forgotten and its slots taken over.
    for (let p = 2001; p <= 3024; p++) hours.note(p, march + 3 * DAY);
    expect(hours.people).toBe(1024);
    expect(hours.slotCapacity).toBe(1024);
    // A forgotten person starts again as a newcomer: their old morning is gone, and so is their history.
    expect(hours.grant(1, march + 3 * DAY + 6 * HOUR)).toBeNull();
    expect(hours.people).toBe(1025);
    // Someone still in their window is kept: the store grows instead.
    expect(hours.grant(2001, march + 3 * DAY + 6 * HOUR)).toMatchObject({ hour: 15, hoursSeen: [9], grantsInWindow: 1 });
    expect(hours.slotCapacity).toBe(2048);
  });

  it('keeps one person apart from the next in the store (slots do not bleed into each other)', () => {
    const hours = new GrantHours({ enabled: true, days: 3, minHistory: 1 }, 'UTC');
    for (let p = 1; p <= 3000; p++) hours.note(p, at('2026-03-01T00:30:00Z') + (p % 24) * HOUR);
    for (let p = 1; p <= 3000; p += 499) {
      expect(hours.grant(p, at('2026-03-02T00:30:00Z') + ((p + 1) % 24) * HOUR)).toEqual({
        rule: 'new_hour',
        hour: (p + 1) % 24,
        grantsInWindow: 1,
        hoursSeen: [p % 24],
      });
    }
  });

  it('counts many grants a day, and a grant older than the window held is not noted', () => {
    const hours = new GrantHours({ enabled: true, days: 5, minHistory: 300 }, 'UTC');
    for (let n = 0; n < 299; n++) hours.note(1, at('2026-03-10T09:00:00Z') + n * 1000);
    hours.note(1, at('2026-03-01T15:00:00Z')); // 9 days before the newest: outside the window
    expect(hours.grant(1, at('2026-03-11T15:00:00Z'))).toBeNull(); // 299 < 300
    expect(hours.grant(1, at('2026-03-11T16:00:00Z'))).toMatchObject({ grantsInWindow: 300, hoursSeen: [9, 15] });
  });
});

describe('after_window', () => {
  const policy = { enabled: true };
  const denial = { credentialType: 'PIN', reason: 'no_reservation', atMs: at('2026-03-10T12:00:00Z') };
  const ended = { lastEndMs: at('2026-03-10T11:00:00Z'), upcoming: false };

  it('finds a no_reservation PIN refusal after the last window ended', () => {
    expect(afterWindow(policy, denial, ended)).toEqual({ rule: 'after_window', windowEndedMs: ended.lastEndMs });
  });

  it('stays quiet before a window ahead, without any window, for other reasons or cards, and when disabled', () => {
    expect(afterWindow(policy, denial, { ...ended, upcoming: true })).toBeNull();
    expect(afterWindow(policy, denial, { lastEndMs: null, upcoming: false })).toBeNull();
    expect(afterWindow(policy, denial, { lastEndMs: denial.atMs + HOUR, upcoming: false })).toBeNull();
    expect(afterWindow(policy, { ...denial, reason: 'outside_schedule' }, ended)).toBeNull();
    expect(afterWindow(policy, { ...denial, credentialType: 'Card' }, ended)).toBeNull();
    expect(afterWindow({ enabled: false }, denial, ended)).toBeNull();
  });
});

describe('wrong_pin_burst', () => {
  const policy = { enabled: true, doors: 2, withinMs: 60_000 };
  const t0 = at('2026-03-10T12:00:00Z');

  it('finds wrong PINs at 2 doors within a minute, once, then again in a later window', () => {
    const bursts = new WrongPinBursts(policy);
    expect(bursts.wrongPin(1, t0)).toBeNull();
    expect(bursts.wrongPin(1, t0 + 5_000)).toBeNull(); // one door, however many
    expect(bursts.wrongPin(2, t0 + 20_000)).toEqual({ rule: 'wrong_pin_burst', doors: [1, 2], count: 3 });
    expect(bursts.wrongPin(1, t0 + 25_000)).toBeNull();
    expect(bursts.wrongPin(2, t0 + 30_000)).toBeNull(); // the same burst: not found again
    // After the quiet window a burst that goes on is found again.
    expect(bursts.wrongPin(1, t0 + 90_000)).toBeNull();
    expect(bursts.wrongPin(2, t0 + 95_000)).toEqual({ rule: 'wrong_pin_burst', doors: [1, 2], count: 2 });
  });

  it('does not join wrong PINs further apart than the window, and needs `doors` distinct doors', () => {
    const bursts = new WrongPinBursts(policy);
    expect(bursts.wrongPin(1, t0)).toBeNull();
    expect(bursts.wrongPin(2, t0 + 61_000)).toBeNull();
    const three = new WrongPinBursts({ ...policy, doors: 3 });
    expect(three.wrongPin(1, t0)).toBeNull();
    expect(three.wrongPin(2, t0 + 1000)).toBeNull();
    expect(three.wrongPin(3, t0 + 2000)).toMatchObject({ doors: [1, 2, 3] });
    const off = new WrongPinBursts({ ...policy, enabled: false });
    expect(off.wrongPin(1, t0)).toBeNull();
    expect(off.wrongPin(2, t0 + 1000)).toBeNull();
  });

  it('counts PINs typed at a locked-out keypad, so an attacker who keeps typing there while trying another door is a burst', () => {
    const pin = (reason: string) => ({ credentialType: 'PIN', reason });
    expect(countsTowardBurst(pin('unknown_credential'))).toBe(true);
    expect(countsTowardBurst(pin('locked_out'))).toBe(true);
    // Under lockdown every PIN is refused, valid ones too: not a sign of guessing.
    expect(countsTowardBurst(pin('lockdown'))).toBe(false);
    expect(countsTowardBurst(pin('no_reservation'))).toBe(false);
    expect(countsTowardBurst({ credentialType: 'CARD', reason: 'unknown_credential' })).toBe(false);
    expect(countsTowardBurst({ credentialType: 'CARD', reason: 'locked_out' })).toBe(false);

    // Door 1's keypad is locked out (its wrong PINs were before this window); the attacker types on there and at door 2.
    const bursts = new WrongPinBursts(policy);
    const refusals: [number, string, number][] = [
      [1, 'locked_out', t0],
      [1, 'locked_out', t0 + 2_000],
      [2, 'unknown_credential', t0 + 10_000],
    ];
    const found = refusals.filter(([, reason]) => countsTowardBurst(pin(reason))).map(([door, , atMs]) => bursts.wrongPin(door, atMs));
    expect(found.at(-1)).toEqual({ rule: 'wrong_pin_burst', doors: [1, 2], count: 3 });
  });
});
