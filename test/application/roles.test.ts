import { afterEach, describe, expect, it } from 'vitest';
import { addPerson, getPerson } from '../../src/application/people.js';
import { assignRole } from '../../src/application/memberships.js';
import { addRole, deleteRole, listRoles } from '../../src/application/roles.js';
import { refusal } from '../helpers/refusal.js';
import { openScratch, type Scratch } from '../helpers/scratch.js';

let s: Scratch;
afterEach(() => s?.close());

describe('roles', () => {
  it('has the built-in Everyone role (all doors, 24/7), given to new people but not to visitors', () => {
    s = openScratch();
    expect(listRoles(s.ctx)).toEqual([
      expect.objectContaining({ id: 1, name: 'Everyone', builtin: true, all_channels: true, always: true, schedule: [] }),
    ]);
    expect(addPerson(s.ctx, { first_name: 'Staff', last_name: 'Member' }).roles).toEqual([1]);
    expect(addPerson(s.ctx, { first_name: 'Jane', last_name: 'Visitor', visitor: true }).roles).toEqual([]);
  });

  it('adds a role with doors and weekly slots, and assigns it', () => {
    s = openScratch({
      doors: [
        { id: 1, name: 'Front' },
        { id: 2, name: 'Workshop' },
      ],
    });
    const r = addRole(s.ctx, { name: 'Members', doors: [2], slots: ['mon-fri 07:00-19:00', 'sat 22:00-02:00'] });
    expect(r).toMatchObject({
      name: 'Members',
      channel_ids: [2],
      all_channels: false,
      schedule: ['mon,tue,wed,thu,fri 07:00-19:00', 'sat 22:00-02:00'],
      always: false,
    });
    const p = addPerson(s.ctx, { first_name: 'A', last_name: 'B', visitor: true }).id;
    expect(assignRole(s.ctx, p, r.id, true).people).toBe(1);
    expect(getPerson(s.ctx, p).roles).toEqual([r.id]);
    expect(assignRole(s.ctx, p, r.id, false).people).toBe(0);
  });

  it('reports every problem at once: name, unknown door, bad slot', () => {
    s = openScratch();
    const r = refusal(() => addRole(s.ctx, { name: ' ', doors: [5], slots: ['sometimes'] }));
    expect(Object.keys(r.errors).sort()).toEqual(['door', 'name', 'slot']);
    expect(refusal(() => addRole(s.ctx, { name: 'Everyone' })).errors).toEqual({ name: ['is already in use by another role'] });
  });

  it('follows access.default_role, and refuses a default that names no role', () => {
    s = openScratch({ access: { default_role: null } });
    expect(addPerson(s.ctx, { first_name: 'A', last_name: 'B' }).roles).toEqual([]);
    s.close();
    s = openScratch({ access: { default_role: 'Members' } });
    expect(refusal(() => addPerson(s.ctx, { first_name: 'A', last_name: 'B' })).errors).toEqual({
      'access.default_role': [expect.stringContaining('no role is named "Members"')],
    });
    const members = addRole(s.ctx, { name: 'Members', slots: ['daily 06:00-23:00'] });
    expect(addPerson(s.ctx, { first_name: 'A', last_name: 'B' }).roles).toEqual([members.id]);
  });

  it('will not delete the default role; deleting another removes the access it gave', () => {
    s = openScratch();
    expect(refusal(() => deleteRole(s.ctx, 1)).errors.role![0]).toMatch(/default role/);
    const r = addRole(s.ctx, { name: 'Night' });
    const p = addPerson(s.ctx, { first_name: 'A', last_name: 'B', visitor: true }).id;
    assignRole(s.ctx, p, r.id, true);
    deleteRole(s.ctx, r.id);
    expect(getPerson(s.ctx, p).roles).toEqual([]);
  });
});
