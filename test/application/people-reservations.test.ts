import { afterEach, describe, expect, it } from 'vitest';
import { createCredential, listCredentials } from '../../src/application/credentials.js';
import { addPerson, deletePerson, getPerson, listPeople, setPersonEnabled } from '../../src/application/people.js';
import { addReservation, deleteReservation, listReservations } from '../../src/application/reservations.js';
import { refusal } from '../helpers/refusal.js';
import { openScratch, type Scratch } from '../helpers/scratch.js';

let s: Scratch;
afterEach(() => s?.close());

describe('people', () => {
  it("adds a person in DoorFlow's shape, reading local times in the site zone", () => {
    s = openScratch();
    const p = addPerson(s.ctx, {
      first_name: ' Jane ',
      last_name: 'Visitor',
      email: 'jane@example.com',
      valid_from: '2026-07-01T09:00',
      valid_to: '2026-07-02T17:00:00Z',
    });
    expect(p).toEqual({
      id: 1,
      first_name: 'Jane',
      last_name: 'Visitor',
      email: 'jane@example.com',
      emergency: false,
      unlock_seconds: null,
      enabled: true,
      valid_from: '2026-07-01T08:00:00Z', // 09:00 BST
      valid_to: '2026-07-02T17:00:00Z',
      notes: null,
      groups: [],
      roles: [1], // the built-in "Everyone" role, the default for people who are not visitors
      synced: false,
      created_at: '2026-01-15T12:00:00Z',
      updated_at: '2026-01-15T12:00:00Z',
    });
    expect(getPerson(s.ctx, 1)).toEqual(p);
  });

  it('reports every problem at once and writes nothing', () => {
    s = openScratch();
    const r = refusal(() => addPerson(s.ctx, { first_name: '', last_name: 'x'.repeat(101), email: 'not-an-email', valid_to: 'soon' }));
    expect(Object.keys(r.errors).sort()).toEqual(['email', 'first_name', 'last_name', 'valid_to']);
    expect(listPeople(s.ctx)).toEqual([]);
  });

  it('keeps emails unique, ignoring case', () => {
    s = openScratch();
    addPerson(s.ctx, { first_name: 'A', last_name: 'A', email: 'a@example.com' });
    expect(refusal(() => addPerson(s.ctx, { first_name: 'B', last_name: 'B', email: 'A@Example.com' })).errors).toEqual({
      email: ['is already in use by another person'],
    });
    expect(listPeople(s.ctx, { email: 'A@EXAMPLE.COM' }).map((p) => p.first_name)).toEqual(['A']);
  });

  it('refuses valid_to before valid_from', () => {
    s = openScratch();
    const r = refusal(() => addPerson(s.ctx, { first_name: 'A', last_name: 'B', valid_from: '2026-02-01', valid_to: '2026-01-01' }));
    expect(r.errors).toEqual({ valid_to: ['must be after valid_from'] });
  });

  it('disables, enables and deletes with their credentials', () => {
    s = openScratch();
    const id = addPerson(s.ctx, { first_name: 'A', last_name: 'B' }).id;
    createCredential(s.ctx, { person_id: id, credential_type_id: 6 });
    s.setNow('2026-01-16T08:00:00Z');
    expect(setPersonEnabled(s.ctx, id, false)).toMatchObject({ enabled: false, updated_at: '2026-01-16T08:00:00Z' });
    expect(setPersonEnabled(s.ctx, id, true).enabled).toBe(true);
    deletePerson(s.ctx, id);
    expect(listCredentials(s.ctx)).toEqual([]);
    expect(refusal(() => getPerson(s.ctx, id)).kind).toBe('not_found');
  });
});

describe('reservations', () => {
  it('gives access between two local times, at named doors or all doors', () => {
    s = openScratch({
      doors: [
        { id: 1, name: 'Front Door' },
        { id: 2, name: 'Loading Dock' },
      ],
    });
    const id = addPerson(s.ctx, { first_name: 'Jane', last_name: 'Visitor' }).id;
    const dock = addReservation(s.ctx, { person_id: id, start_time: '2026-01-16T09:00', end_time: '2026-01-16T17:00', channel_ids: [2] });
    expect(dock).toMatchObject({ start_time: '2026-01-16T09:00:00Z', end_time: '2026-01-16T17:00:00Z', channel_ids: [2], all_channels: false });
    const all = addReservation(s.ctx, { person_id: id, start_time: '2024-01-15T09:00:00Z', end_time: '2026-01-20T17:00:00Z' });
    expect(all).toMatchObject({ channel_ids: [1, 2], all_channels: true });
    expect(listReservations(s.ctx).map((r) => r.id)).toEqual([all.id, dock.id]);
    // Once over, a reservation leaves the current list.
    s.setNow('2026-01-17T00:00:00Z');
    expect(listReservations(s.ctx).map((r) => r.id)).toEqual([all.id]);
    expect(listReservations(s.ctx, { include_past: true })).toHaveLength(2);
    deleteReservation(s.ctx, all.id);
    expect(listReservations(s.ctx)).toEqual([]);
  });

  it('refuses an end before the start, an end in the past, unknown doors and missing times, all at once', () => {
    s = openScratch();
    const id = addPerson(s.ctx, { first_name: 'A', last_name: 'B' }).id;
    expect(refusal(() => addReservation(s.ctx, { person_id: id, start_time: '2026-01-16T10:00', end_time: '2026-01-16T09:00' })).errors).toEqual({
      end_time: ['must be after start_time'],
    });
    expect(refusal(() => addReservation(s.ctx, { person_id: id, start_time: '2026-01-10', end_time: '2026-01-11' })).errors).toEqual({
      end_time: ['must be in the future'],
    });
    const r = refusal(() => addReservation(s.ctx, { person_id: id, start_time: 'x', channel_ids: [9] }));
    expect(Object.keys(r.errors).sort()).toEqual(['channel_ids', 'end_time', 'start_time']);
    expect(r.errors.channel_ids).toEqual(['door 9 is not configured (doors: 1)']);
    expect(refusal(() => addReservation(s.ctx, { person_id: 99, start_time: '2026-02-01', end_time: '2026-02-02' })).kind).toBe('not_found');
    expect(listReservations(s.ctx, { include_past: true })).toEqual([]);
  });
});
