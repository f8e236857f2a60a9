import { describe, expect, it } from 'vitest';
import { formatSlot, parseSlot } from '../../src/core/schedule.js';

describe('slot specs', () => {
  it.each([
    ['mon-fri 07:00-19:00', 0b0011111, 420, 1140],
    ['sat,sun 10:00-14:00', 0b1100000, 600, 840],
    ['daily 22:00-06:00', 0b1111111, 1320, 360],
    ['fri-mon 00:00-24:00', 0b1110001, 0, 1440],
    ['weekdays 8:30-17:00', 0b0011111, 510, 1020],
  ])('parses %j', (spec, days, start, end) => {
    expect(parseSlot(spec)).toEqual({ ok: true, slot: { days, startMinute: start, endMinute: end } });
  });

  it.each(['mon-fri', 'funday 07:00-08:00', 'mon 25:00-26:00', 'mon 07:00-07:00', 'mon 07:60-08:00', 'mon-tue-wed 01:00-02:00', 'mon 07:00-00:00'])(
    'refuses %j with a message',
    (spec) => {
      const r = parseSlot(spec);
      expect(r.ok).toBe(false);
    },
  );

  it('formats back', () => {
    const r = parseSlot('mon-fri 07:00-19:00');
    expect(r.ok && formatSlot(r.slot)).toBe('mon,tue,wed,thu,fri 07:00-19:00');
  });
});
