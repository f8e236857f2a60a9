/** The site-operation rules on a manual clock: lockdown, emergency credentials, holidays, shifts across DST. */
import { describe, expect, it } from 'vitest';
import { autoUnlockStep, IDLE, type AutoUnlockContext, type AutoUnlockInput, type AutoUnlockState } from '../../src/core/auto-unlock.js';
import { decide, type AccessFacts, type DecisionInput } from '../../src/core/decision.js';
import { denyCode, grantCode } from '../../src/core/event-codes.js';
import { parseSlot, type Slot } from '../../src/core/schedule.js';
import {
  effectiveLockdown,
  holidayAt,
  lockdownMessage,
  parseHolidayDate,
  shiftRunning,
  type Holiday,
  type Shift,
} from '../../src/core/site-calendar.js';

const slot = (spec: string): Slot => {
  const r = parseSlot(spec);
  if (!r.ok) throw new Error(r.message);
  return r.slot;
};
const at = (iso: string) => Date.parse(iso);
const ZONE = 'Europe/London';

function facts(person: Partial<AccessFacts['person']> = {}, slots: Slot[] = []): AccessFacts {
  return {
    credential: { id: 'cred_a', kind: 'PIN', enabled: true, createdAtMs: at('2026-01-01T00:00:00Z') },
    person: { id: 1, name: 'Jane Doe', enabled: true, validFromMs: null, validToMs: null, ...person },
    roles: [{ doors: [], slots }],
    reservations: [],
  };
}
function input(over: Partial<DecisionInput> = {}): DecisionInput {
  return {
    presented: 'PIN',
    facts: facts(),
    door: { id: 1, mode: 'card_or_pin', maxPinAgeDays: null },
    nowMs: at('2026-01-14T10:00:00Z'), // a Wednesday
    zone: ZONE,
    timeTrusted: true,
    keypadLockedOut: false,
    ...over,
  };
}
const holiday = (date: string, closed = true, slots: Slot[] = []): Holiday => ({ id: 1, name: 'Holiday', date, closed, slots });

describe('lockdown', () => {
  it('refuses a right PIN, a right card and an unknown PIN alike, with DoorFlow’s lockdown code 22', () => {
    for (const over of [{}, { presented: 'Card' as const }, { facts: null }]) {
      const d = decide(input({ ...over, lockdown: true }));
      expect(d).toEqual({ granted: false, reason: 'lockdown' });
    }
    expect(denyCode('PIN', 'lockdown')).toBe(22);
    expect(denyCode('Card', 'lockdown')).toBe(22);
  });

  it('lets an emergency credential holder through, marked as such, but not a disabled one nor one without access here', () => {
    expect(decide(input({ lockdown: true, facts: facts({ emergency: true }) }))).toEqual({ granted: true, via: 'role', emergency: true });
    expect(decide(input({ facts: facts({ emergency: true }) }))).toEqual({ granted: true, via: 'role' });
    expect(decide(input({ lockdown: true, facts: facts({ emergency: true, enabled: false }) }))).toMatchObject({ reason: 'person_disabled' });
    const elsewhere = { ...facts({ emergency: true }), roles: [{ doors: [2], slots: [] }] };
    expect(decide(input({ lockdown: true, facts: elsewhere }))).toMatchObject({ granted: false });
  });

  it('leaves a keypad lockout first in the order (a locked-out keypad looks nothing up)', () => {
    expect(decide(input({ lockdown: true, keypadLockedOut: true }))).toEqual({ granted: false, reason: 'locked_out' });
  });

  it('combines a door’s and the site’s lockdown input by input, and says what it refuses', () => {
    const l = effectiveLockdown({ card: false, rex: true, aux: false }, { card: true, rex: false, aux: false });
    expect(l).toEqual({ card: true, rex: true, aux: false });
    expect(effectiveLockdown(null, null)).toEqual({ card: false, rex: false, aux: false });
    expect(lockdownMessage(l)).toBe('Cards and PINs and REX will be rejected');
    expect(lockdownMessage({ card: true, rex: false, aux: false })).toBe('Cards and PINs will be rejected');
  });
});

describe('holidays', () => {
  const office = [slot('mon-fri 08:00-18:00')];
  it('a closed holiday refuses a timed role all day, but not a 24/7 role', () => {
    const christmas = [holiday('12-25')];
    const day = at('2026-12-25T10:00:00Z'); // a Friday
    expect(decide(input({ nowMs: day, facts: facts({}, office) }))).toMatchObject({ granted: true });
    expect(decide(input({ nowMs: day, facts: facts({}, office), holidays: christmas }))).toEqual({ granted: false, reason: 'outside_schedule' });
    expect(decide(input({ nowMs: day, facts: facts({}, []), holidays: christmas }))).toMatchObject({ granted: true });
  });

  it('a holiday with its own slots replaces the weekday schedule for that local date only', () => {
    const eve = [holiday('2026-12-24', false, [slot('daily 08:00-12:00')])];
    expect(decide(input({ nowMs: at('2026-12-24T11:00:00Z'), facts: facts({}, office), holidays: eve }))).toMatchObject({ granted: true });
    expect(decide(input({ nowMs: at('2026-12-24T13:00:00Z'), facts: facts({}, office), holidays: eve }))).toMatchObject({ granted: false });
    // Not a yearly date: the next year's Christmas Eve (a Friday) is an ordinary day.
    expect(decide(input({ nowMs: at('2027-12-24T13:00:00Z'), facts: facts({}, office), holidays: eve }))).toMatchObject({ granted: true });
  });

  it('finds the holiday by the site’s local date, not UTC’s', () => {
    // 23:30 UTC on Dec 31 is already Jan 1 in Berlin.
    expect(holidayAt([holiday('01-01')], at('2026-12-31T23:30:00Z'), 'Europe/Berlin')).not.toBeNull();
    expect(holidayAt([holiday('01-01')], at('2026-12-31T23:30:00Z'), ZONE)).toBeNull();
  });

  it('checks dates: once or yearly, a real day only', () => {
    expect(parseHolidayDate('2026-12-24')).toEqual({ ok: true, date: '2026-12-24' });
    expect(parseHolidayDate('02-29')).toEqual({ ok: true, date: '02-29' });
    expect(parseHolidayDate('2026-02-29')).toMatchObject({ ok: false });
    expect(parseHolidayDate('13-01')).toMatchObject({ ok: false });
    expect(parseHolidayDate('tomorrow')).toMatchObject({ ok: false, message: 'must be YYYY-MM-DD (once) or MM-DD (every year)' });
  });
});

describe('auto-unlock shifts', () => {
  const shift: Shift = { id: 1, name: 'Office hours', slots: [slot('mon-fri 09:00-17:00')], firstPersonIn: false, lastToLeave: false };

  it('runs in site local time across the spring-forward and fall-back changes', () => {
    // London: BST from 2026-03-29 (Sunday) to 2026-10-25 (Sunday). 09:00 local is 09:00Z before and 08:00Z after.
    expect(shiftRunning(shift, [], at('2026-03-27T09:00:00Z'), ZONE, true)).toBe(true);
    expect(shiftRunning(shift, [], at('2026-03-30T08:00:00Z'), ZONE, true)).toBe(true);
    expect(shiftRunning(shift, [], at('2026-03-30T07:59:00Z'), ZONE, true)).toBe(false);
    expect(shiftRunning(shift, [], at('2026-03-30T16:00:00Z'), ZONE, true)).toBe(false); // 17:00 BST
    expect(shiftRunning(shift, [], at('2026-10-26T08:30:00Z'), ZONE, true)).toBe(false); // 08:30 GMT again
    expect(shiftRunning(shift, [], at('2026-10-26T09:00:00Z'), ZONE, true)).toBe(true);
  });

  it('never runs on an untrusted clock, nor on a closed holiday', () => {
    expect(shiftRunning(shift, [], at('2026-01-14T10:00:00Z'), ZONE, false)).toBe(false);
    expect(shiftRunning(shift, [holiday('01-14')], at('2026-01-14T10:00:00Z'), ZONE, true)).toBe(false);
    expect(shiftRunning(shift, [holiday('01-14', false, [slot('daily 10:00-11:00')])], at('2026-01-14T10:30:00Z'), ZONE, true)).toBe(true);
  });

  /** Runs the machine over a day on a manual clock, collecting what the door was told to do. */
  function run(
    over: Partial<AutoUnlockContext>,
    steps: [number, boolean, AutoUnlockInput['kind']][],
  ): { phase: string; relay: string | null; event: string | null }[] {
    let state: AutoUnlockState = IDLE;
    return steps.map(([nowMs, running, kind]) => {
      const ctx: AutoUnlockContext = {
        nowMs,
        running,
        trusted: true,
        firstPersonIn: false,
        lastToLeave: false,
        lockedDown: false,
        closingMaxMs: 3_600_000,
        ...over,
      };
      const step = autoUnlockStep(state, { kind }, ctx);
      state = step.state;
      return { phase: step.state.phase, relay: step.relay, event: step.event };
    });
  }

  it('unlocks at the start and relocks at the end, with codes 40 and 41', () => {
    expect(
      run({}, [
        [0, false, 'tick'],
        [1, true, 'tick'],
        [2, true, 'tick'],
        [3, false, 'tick'],
      ]),
    ).toEqual([
      { phase: 'idle', relay: null, event: null },
      { phase: 'unlocked', relay: 'hold', event: 'auto_unlock_started' },
      { phase: 'unlocked', relay: null, event: null },
      { phase: 'idle', relay: 'release', event: 'auto_unlock_ended' },
    ]);
  });

  it('with first-person-in, waits for the first grant after the start', () => {
    const out = run({ firstPersonIn: true }, [
      [1, true, 'tick'],
      [2, true, 'leave'],
      [3, true, 'grant'],
      [4, false, 'tick'],
    ]);
    expect(out.map((o) => [o.phase, o.relay, o.event])).toEqual([
      ['waiting', null, 'auto_unlock_waiting'],
      ['waiting', null, null],
      ['unlocked', 'hold', 'auto_unlock_started'],
      ['idle', 'release', 'auto_unlock_ended'],
    ]);
    // A grant before the shift starts does not count for it.
    expect(
      run({ firstPersonIn: true }, [
        [0, false, 'grant'],
        [1, true, 'tick'],
      ]).map((o) => o.phase),
    ).toEqual(['idle', 'waiting']);
  });

  it('with last-to-leave, stays unlocked past the end until a REX or card, or the cap', () => {
    const left = run({ lastToLeave: true }, [
      [1, true, 'tick'],
      [2, false, 'tick'],
      [3, false, 'tick'],
      [4, false, 'leave'],
    ]);
    expect(left.map((o) => [o.phase, o.relay])).toEqual([
      ['unlocked', 'hold'],
      ['closing', null],
      ['closing', null],
      ['idle', 'release'],
    ]);
    const capped = run({ lastToLeave: true, closingMaxMs: 10 }, [
      [1, true, 'tick'],
      [2, false, 'tick'],
      [12, false, 'tick'],
    ]);
    expect(capped.at(-1)).toEqual({ phase: 'idle', relay: 'release', event: 'auto_unlock_ended' });
  });

  it('a lockdown or a clock that stops being trusted ends it at once', () => {
    expect(run({}, [[1, true, 'tick']]).at(-1)!.relay).toBe('hold');
    let state = autoUnlockStep(IDLE, { kind: 'tick' }, ctx({ running: true })).state;
    expect(autoUnlockStep(state, { kind: 'tick' }, ctx({ running: true, lockedDown: true }))).toMatchObject({ relay: 'release', why: 'lockdown' });
    state = autoUnlockStep(IDLE, { kind: 'tick' }, ctx({ running: true, lastToLeave: true })).state;
    state = autoUnlockStep(state, { kind: 'tick' }, ctx({ running: false, lastToLeave: true })).state;
    expect(state.phase).toBe('closing');
    expect(autoUnlockStep(state, { kind: 'tick' }, ctx({ running: false, trusted: false }))).toMatchObject({ relay: 'release', why: 'not_running' });
    // Locked down, it does not start.
    expect(autoUnlockStep(IDLE, { kind: 'tick' }, ctx({ running: true, lockedDown: true })).relay).toBe(null);
  });

  function ctx(over: Partial<AutoUnlockContext>): AutoUnlockContext {
    return { nowMs: 0, running: false, trusted: true, firstPersonIn: false, lastToLeave: false, lockedDown: false, closingMaxMs: 1000, ...over };
  }
});

describe('remote admission of a named person', () => {
  it('uses the same rules as the keypad, whatever the door’s credential mode, with DoorFlow’s application code 15', () => {
    const remote = {
      ...facts({}, [slot('mon-fri 08:00-18:00')]),
      credential: { id: 'remote', kind: 'Remote' as const, enabled: true, createdAtMs: 0 },
    };
    const door = { id: 1, mode: 'card' as const, maxPinAgeDays: 1 };
    expect(decide(input({ presented: 'Remote', facts: remote, door }))).toMatchObject({ granted: true });
    expect(decide(input({ presented: 'Remote', facts: remote, door, nowMs: at('2026-01-14T20:00:00Z') }))).toMatchObject({
      reason: 'outside_schedule',
    });
    expect(decide(input({ presented: 'Remote', facts: remote, door, lockdown: true }))).toMatchObject({ reason: 'lockdown' });
    expect(grantCode('Remote')).toBe(15);
  });
});
