import { describe, expect, it } from 'vitest';
import { decide, type AccessFacts, type DecisionInput } from '../../src/core/decision.js';
import { parseSlot, type Slot } from '../../src/core/schedule.js';

const slot = (spec: string): Slot => {
  const r = parseSlot(spec);
  if (!r.ok) throw new Error(r.message);
  return r.slot;
};
const at = (iso: string) => Date.parse(iso);
const NOW = '2026-01-14T10:00:00Z'; // a Wednesday; London is on GMT

function facts(over: Partial<{ [K in keyof AccessFacts]: Partial<AccessFacts[K]> | AccessFacts[K] }> = {}): AccessFacts {
  return {
    credential: { id: 'cred_a', kind: 'PIN', enabled: true, createdAtMs: at('2026-01-01T00:00:00Z'), ...(over.credential as object) },
    person: { id: 1, name: 'Jane Doe', enabled: true, validFromMs: null, validToMs: null, ...(over.person as object) },
    roles: (over.roles as AccessFacts['roles']) ?? [{ doors: [], slots: [] }],
    reservations: (over.reservations as AccessFacts['reservations']) ?? [],
    ...(over.groups ? { groups: over.groups as AccessFacts['groups'] } : {}),
  };
}

function input(over: Partial<DecisionInput> = {}): DecisionInput {
  return {
    presented: 'PIN',
    facts: facts(),
    door: { id: 1, mode: 'card_or_pin', maxPinAgeDays: null },
    nowMs: at(NOW),
    zone: 'Europe/London',
    timeTrusted: true,
    keypadLockedOut: false,
    ...over,
  };
}

const visitor = (start: string, end: string, doors: number[] = []) =>
  facts({ roles: [], reservations: [{ startMs: at(start), endMs: at(end), doors }] });

describe('access decisions: one reason per denial', () => {
  it.each<[string, Partial<DecisionInput>, string]>([
    ['unknown PIN', { facts: null }, 'unknown_credential'],
    ['disabled credential', { facts: facts({ credential: { enabled: false } }) }, 'credential_disabled'],
    ['disabled person', { facts: facts({ person: { enabled: false } }) }, 'person_disabled'],
    ['before valid_from', { facts: facts({ person: { validFromMs: at('2026-02-01T00:00:00Z') } }) }, 'outside_validity'],
    ['at valid_to', { facts: facts({ person: { validToMs: at(NOW) } }) }, 'outside_validity'],
    ['role outside its slot', { facts: facts({ roles: [{ doors: [], slots: [slot('mon-fri 12:00-13:00')] }] }) }, 'outside_schedule'],
    ['visitor without a reservation', { facts: facts({ roles: [] }) }, 'no_reservation'],
    ['reservation ended', { facts: visitor('2026-01-13T09:00:00Z', '2026-01-13T17:00:00Z') }, 'no_reservation'],
    ['reservation for another door', { facts: visitor('2026-01-14T09:00:00Z', '2026-01-14T17:00:00Z', [2]) }, 'no_reservation'],
    ['role for another door only', { facts: facts({ roles: [{ doors: [2], slots: [] }] }) }, 'no_reservation'],
    ['PIN older than max_pin_age_days', { door: { id: 1, mode: 'card_or_pin', maxPinAgeDays: 10 } }, 'pin_expired'],
    ['PIN during lockout, even a right one', { keypadLockedOut: true }, 'locked_out'],
    ['unknown PIN during lockout', { keypadLockedOut: true, facts: null }, 'locked_out'],
    [
      'reservation with an untrusted clock',
      { timeTrusted: false, facts: visitor('2026-01-14T09:00:00Z', '2026-01-14T17:00:00Z') },
      'clock_untrusted',
    ],
    [
      'limited role with an untrusted clock',
      { timeTrusted: false, facts: facts({ roles: [{ doors: [], slots: [slot('daily 00:00-24:00')] }] }) },
      'clock_untrusted',
    ],
    [
      'validity with an untrusted clock',
      { timeTrusted: false, facts: facts({ person: { validToMs: at('2030-01-01T00:00:00Z') } }) },
      'clock_untrusted',
    ],
    ['card at a PIN-only door', { presented: 'Card', door: { id: 1, mode: 'pin', maxPinAgeDays: null } }, 'wrong_mode'],
    ['PIN at a card-only door', { door: { id: 1, mode: 'card', maxPinAgeDays: null } }, 'wrong_mode'],
  ])('%s -> %s', (_name, over, reason) => {
    expect(decide(input(over))).toEqual({ granted: false, reason });
  });

  it.each<[string, Partial<DecisionInput>, string]>([
    ['24/7 role', {}, 'role'],
    ['role for this door', { facts: facts({ roles: [{ doors: [1], slots: [] }] }) }, 'role'],
    ['role inside its slot', { facts: facts({ roles: [{ doors: [], slots: [slot('mon-fri 07:00-19:00')] }] }) }, 'role'],
    ['reservation inside its window', { facts: visitor('2026-01-14T09:00:00Z', '2026-01-14T17:00:00Z') }, 'reservation'],
    ['reservation starting now', { facts: visitor(NOW, '2026-01-14T17:00:00Z', [1]) }, 'reservation'],
    ['24/7 role with an untrusted clock', { timeTrusted: false }, 'role'],
    ['card at a card_or_pin door', { presented: 'Card', facts: facts({ credential: { kind: 'Card' } }) }, 'role'],
    ['card during a keypad lockout', { presented: 'Card', keypadLockedOut: true, facts: facts({ credential: { kind: 'Card' } }) }, 'role'],
    ['PIN younger than max age', { door: { id: 1, mode: 'card_or_pin', maxPinAgeDays: 14 } }, 'role'],
  ])('grants: %s', (_name, over, via) => {
    expect(decide(input(over))).toEqual({ granted: true, via });
  });

  it('checks in a fixed order: a disabled credential of a disabled person is credential_disabled', () => {
    expect(decide(input({ facts: facts({ credential: { enabled: false }, person: { enabled: false } }) }))).toEqual({
      granted: false,
      reason: 'credential_disabled',
    });
  });
});

describe('schedules in the site time zone', () => {
  const role = (spec: string) => facts({ roles: [{ doors: [], slots: [slot(spec)] }] });
  const decideAt = (iso: string, spec: string) => decide(input({ nowMs: at(iso), facts: role(spec) })).granted;

  it('follows London summer time: 07:00 local is 06:00Z in July and 07:00Z in January', () => {
    expect(decideAt('2026-07-15T06:00:00Z', 'mon-fri 07:00-19:00')).toBe(true);
    expect(decideAt('2026-07-15T05:59:00Z', 'mon-fri 07:00-19:00')).toBe(false);
    expect(decideAt('2026-01-14T06:30:00Z', 'mon-fri 07:00-19:00')).toBe(false);
    expect(decideAt('2026-01-14T07:00:00Z', 'mon-fri 07:00-19:00')).toBe(true);
  });

  it('is right on both sides of the spring and autumn changes', () => {
    // 2026-03-29: clocks go 01:00 GMT -> 02:00 BST. Sunday.
    expect(decideAt('2026-03-29T00:30:00Z', 'sun 00:00-01:00')).toBe(true); // 00:30 GMT
    expect(decideAt('2026-03-29T01:30:00Z', 'sun 02:00-03:00')).toBe(true); // 02:30 BST
    expect(decideAt('2026-03-29T01:30:00Z', 'sun 01:00-02:00')).toBe(false); // 01:xx never happens
    // 2026-10-25: clocks go 02:00 BST -> 01:00 GMT; 01:30 local happens twice and both are inside.
    expect(decideAt('2026-10-25T00:30:00Z', 'sun 01:00-02:00')).toBe(true);
    expect(decideAt('2026-10-25T01:30:00Z', 'sun 01:00-02:00')).toBe(true);
    expect(decideAt('2026-10-25T02:30:00Z', 'sun 01:00-02:00')).toBe(false);
  });

  it('runs a midnight-spanning slot into the next day and belongs to the day it starts', () => {
    // Friday 22:00 to Saturday 06:00, but not Saturday night.
    expect(decideAt('2026-01-16T23:00:00Z', 'fri 22:00-06:00')).toBe(true);
    expect(decideAt('2026-01-17T05:59:00Z', 'fri 22:00-06:00')).toBe(true);
    expect(decideAt('2026-01-17T06:00:00Z', 'fri 22:00-06:00')).toBe(false);
    expect(decideAt('2026-01-17T23:00:00Z', 'fri 22:00-06:00')).toBe(false);
    expect(decideAt('2026-01-16T21:59:00Z', 'fri 22:00-06:00')).toBe(false);
  });
});

describe('groups: standing membership and group reservations, on the same path as roles', () => {
  type Group = NonNullable<AccessFacts['groups']>[number];
  const member = (g: Partial<Group> = {}): Group => ({ doors: [], slots: [], window: null, ...g });
  const reserved = (start: string, end: string, g: Partial<Group> = {}): Group => member({ window: { startMs: at(start), endMs: at(end) }, ...g });
  const only = (...groups: Group[]) => facts({ roles: [], groups });

  it.each<[string, Group[], Partial<DecisionInput>, string]>([
    ['a 24/7 group', [member()], {}, 'group'],
    ['a group for this door inside its slot', [member({ doors: [1], slots: [slot('mon-fri 07:00-19:00')] })], {}, 'group'],
    ['a group reservation inside its window', [reserved('2026-01-14T09:00:00Z', '2026-01-14T11:00:00Z')], {}, 'group'],
    ['a group reservation starting now', [reserved(NOW, '2026-01-14T11:00:00Z')], {}, 'group'],
    ['a 24/7 group with an untrusted clock', [member()], { timeTrusted: false }, 'group'],
    [
      'a reservation of a slotted group, inside both',
      [reserved('2026-01-14T00:00:00Z', '2026-01-15T00:00:00Z', { slots: [slot('wed 09:00-11:00')] })],
      {},
      'group',
    ],
    ['one group of several', [member({ doors: [2] }), reserved('2026-01-14T09:00:00Z', '2026-01-14T11:00:00Z', { doors: [1] })], {}, 'group'],
  ])('grants: %s', (_name, groups, over, via) => {
    expect(decide(input({ facts: only(...groups), ...over }))).toEqual({ granted: true, via });
  });

  it.each<[string, Group[], Partial<DecisionInput>, string]>([
    ['a group reservation not started', [reserved('2026-01-14T10:00:01Z', '2026-01-14T11:00:00Z')], {}, 'no_reservation'],
    ['a group reservation at its end', [reserved('2026-01-14T09:00:00Z', NOW)], {}, 'no_reservation'],
    ['a group reservation for another door', [reserved('2026-01-14T09:00:00Z', '2026-01-14T11:00:00Z', { doors: [2] })], {}, 'no_reservation'],
    ['a group for another door', [member({ doors: [2] })], {}, 'no_reservation'],
    ['a group outside its slot', [member({ slots: [slot('mon-fri 12:00-13:00')] })], {}, 'outside_schedule'],
    [
      'a reservation of a slotted group, inside the window but outside the slot',
      [reserved('2026-01-14T00:00:00Z', '2026-01-15T00:00:00Z', { slots: [slot('wed 12:00-13:00')] })],
      {},
      'outside_schedule',
    ],
    [
      'a group reservation with an untrusted clock',
      [reserved('2026-01-14T09:00:00Z', '2026-01-14T11:00:00Z')],
      { timeTrusted: false },
      'clock_untrusted',
    ],
    ['a slotted group with an untrusted clock', [member({ slots: [slot('daily 00:00-24:00')] })], { timeTrusted: false }, 'clock_untrusted'],
    ['a stored window that does not parse', [member({ window: { startMs: Number.NaN, endMs: at('2030-01-01T00:00:00Z') } })], {}, 'invalid_record'],
  ])('denies: %s -> %s', (_name, groups, over, reason) => {
    expect(decide(input({ facts: only(...groups), ...over }))).toEqual({ granted: false, reason });
  });

  it('a disabled person gets nothing from a group', () => {
    expect(decide(input({ facts: facts({ roles: [], groups: [member()], person: { enabled: false } }) }))).toEqual({
      granted: false,
      reason: 'person_disabled',
    });
  });

  it('a role still grants beside a group that does not', () => {
    expect(decide(input({ facts: facts({ groups: [member({ doors: [2] })] }) }))).toEqual({ granted: true, via: 'role' });
  });
});
