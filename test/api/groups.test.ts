/**
 * Groups and group reservations over real HTTP against a child `keypadd run --sim`: DoorFlow's shapes, scopes and
 * refusals, DoorFlow's SDK, and the door itself: a PIN whose only access is a group reservation opens inside its
 * window only, and stops when the reservation is deleted.
 */
import { Configuration, GroupReservationsApi, GroupsApi, PeopleApi, ResponseError } from 'doorflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiDaemon, token } from '../helpers/api-client.js';
import type { SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let api: ApiClient;
let groupsToken: string;
let staff: number;
let contractors: number;

beforeAll(async () => {
  ({ d, api } = await apiDaemon('', cleanups));
  groupsToken = token(d, 'groups', 'account.person', 'account.group.readonly', 'account.group_reservation');
  api.token = groupsToken;
  staff = d.cli.json<{ id: number }>('group', 'add', '--name', 'Staff', '--door', '1', '--slot', 'daily 00:00-24:00').id;
  contractors = d.cli.json<{ id: number }>('group', 'add', '--name', 'Contractors', '--notes', 'site works').id;
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** A person with no standing access (no role, no group) and a PIN; returns both. */
async function personWithPin(last: string): Promise<{ id: number; pin: string }> {
  const r = await api.post('/api/3/people', { first_name: 'Test', last_name: last, role_ids: [] });
  expect(r.status).toBe(201);
  const pin = d.cli.json<{ value: string }>('pin', 'add', '--person', String(r.body.id)).value;
  return { id: r.body.id as number, pin };
}
const outcome = (pin: string) => d.key(`${pin}#`).outcomes?.[0];
const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

describe('groups', () => {
  it('GET /api/3/groups lists them by name with DoorFlow fields and their doors and schedule', async () => {
    const r = await api.get('/api/3/groups');
    expect(r.status).toBe(200);
    expect(r.body.map((g: { name: string }) => g.name)).toEqual(['Contractors', 'Staff']);
    expect(r.body[1]).toMatchObject({
      id: staff,
      name: 'Staff',
      notes: null,
      global_across_sites: false,
      channel_ids: [1],
      schedule: ['daily 00:00-24:00'],
    });
    expect(r.body[0]).toMatchObject({ id: contractors, notes: 'site works', all_channels: true, always: true });
    expect(r.body[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('needs account.group.readonly (account.person alone is not enough)', async () => {
    expect((await api.get('/api/3/groups', token(d, 'people-only', 'account.person'))).status).toBe(403);
  });

  it("people's group_ids is a membership: accepted, returned, and it opens the door", async () => {
    const p = await personWithPin('Member');
    expect(outcome(p.pin)).toMatchObject({ granted: false, reason: 'no_reservation' });
    const put = await api.put(`/api/3/people/${p.id}`, { group_ids: [staff] });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ groups: [staff], roles: [] });
    expect((await api.get(`/api/3/people/${p.id}`)).body.groups).toEqual([staff]);
    expect(outcome(p.pin)).toMatchObject({ granted: true });
    expect((await api.get('/api/3/groups')).body.find((g: { id: number }) => g.id === staff).people).toBe(1);
    expect((await api.put(`/api/3/people/${p.id}`, { group_ids: [] })).body.groups).toEqual([]);
    expect(outcome(p.pin)).toMatchObject({ granted: false, reason: 'no_reservation' });
  });

  it('unknown group ids are refused naming group_ids, and nothing is made or changed', async () => {
    const before = (await api.get('/api/3/people')).headers.total;
    const r = await api.post('/api/3/people', { first_name: 'No', last_name: 'Group', group_ids: [staff, 9999] });
    expect(r.status).toBe(422);
    expect(r.body.errors.group_ids).toEqual(['no group with id 9999']);
    expect((await api.get('/api/3/people')).headers.total).toBe(before);
    const p = await personWithPin('Kept');
    await api.put(`/api/3/people/${p.id}`, { group_ids: [contractors] });
    const put = await api.put(`/api/3/people/${p.id}`, { last_name: 'Changed', group_ids: [9998] });
    expect(put.status).toBe(422);
    expect(put.body.errors.group_ids).toEqual(['no group with id 9998']);
    expect((await api.get(`/api/3/people/${p.id}`)).body).toMatchObject({ last_name: 'Kept', groups: [contractors] });
  });

  it('POST with a list of group ids on creation', async () => {
    const r = await api.post('/api/3/people', { first_name: 'Two', last_name: 'Groups', group_ids: [contractors, staff] });
    expect(r.status).toBe(201);
    expect(r.body.groups).toEqual([staff, contractors].sort((a, b) => a - b));
  });
});

describe('group reservations', () => {
  it('refuses bad bodies naming each field', async () => {
    const p = await personWithPin('Refused');
    const now = Date.now();
    const missing = await api.post('/api/3/group_reservations', {
      group_reservation: { person_id: p.id, start_time: iso(now), end_time: iso(now + 60_000) },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.errors.group_ids).toBeDefined();
    const unknown = await api.post('/api/3/group_reservations', {
      group_reservation: { person_id: p.id, start_time: iso(now), end_time: iso(now + 60_000), group_ids: [9999] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.group_ids).toEqual(['no group with id 9999']);
    const past = await api.post('/api/3/group_reservations', {
      group_reservation: { person_id: p.id, start_time: iso(now - 7_200_000), end_time: iso(now - 3_600_000), group_ids: [contractors] },
    });
    expect(past.status).toBe(422);
    expect(past.body.errors.end_time).toEqual(['must be in the future']);
    const nobody = await api.post('/api/3/group_reservations', {
      group_reservation: { person_id: 99999, start_time: iso(now), end_time: iso(now + 60_000), group_ids: [contractors] },
    });
    expect(nobody.status).toBe(404);
    expect((await api.get('/api/3/group_reservations')).body.filter((r: { person_id: number }) => r.person_id === p.id)).toEqual([]);
  });

  it('a PIN opens only inside the group reservation window (end to end at the simulated door)', async () => {
    const p = await personWithPin('Window');
    // Whole seconds (stored times are), starting a few seconds from now and lasting three.
    const start = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    const end = start + 3000;
    const made = await api.post('/api/3/group_reservations', {
      group_reservation: { person_id: p.id, start_time: iso(start), end_time: iso(end), group_ids: [contractors] },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ person_id: p.id, start_time: iso(start), end_time: iso(end), state: 'pending', group_ids: [contractors] });
    expect(outcome(p.pin)).toMatchObject({ granted: false, reason: 'no_reservation' });
    await sleepUntil(start + 200);
    expect(outcome(p.pin)).toMatchObject({ granted: true });
    expect((await api.get('/api/3/group_reservations')).body.find((r: { id: number }) => r.id === made.body.id).state).toBe('active');
    await sleepUntil(end + 200);
    expect(outcome(p.pin)).toMatchObject({ granted: false, reason: 'no_reservation' });
    // Ended: no longer among the present and future ones DoorFlow lists.
    expect((await api.get('/api/3/group_reservations')).body.map((r: { id: number }) => r.id)).not.toContain(made.body.id);
    expect(d.cli.json<{ id: number; state: string }[]>('group-reservation', 'list', '--all').find((r) => r.id === made.body.id)?.state).toBe(
      'deactivated',
    );
  }, 30_000);

  it('deleting an active one deactivates it and the PIN stops at once; deleting a pending one removes it', async () => {
    const p = await personWithPin('Deleted');
    const now = Date.now();
    const active = await api.post('/api/3/group_reservations', {
      group_reservation: { person_id: p.id, start_time: iso(now - 60_000), end_time: iso(now + 3_600_000), group_ids: [contractors] },
    });
    const pending = await api.post('/api/3/group_reservations', {
      group_reservation: { person_id: p.id, start_time: iso(now + 86_400_000), end_time: iso(now + 90_000_000), group_ids: [staff] },
    });
    expect([active.body.state, pending.body.state]).toEqual(['active', 'pending']);
    expect(outcome(p.pin)).toMatchObject({ granted: true });
    expect(await api.call({ method: 'DELETE', path: `/api/3/group_reservations/${active.body.id}` })).toMatchObject({
      status: 200,
      body: { result: 'ok' },
    });
    expect(outcome(p.pin)).toMatchObject({ granted: false, reason: 'no_reservation' });
    expect((await api.call({ method: 'DELETE', path: `/api/3/group_reservations/${pending.body.id}` })).status).toBe(200);
    const all = d.cli.json<{ id: number; state: string }[]>('group-reservation', 'list', '--all');
    expect(all.find((r) => r.id === active.body.id)?.state).toBe('deactivated');
    expect(all.find((r) => r.id === pending.body.id)).toBeUndefined();
    expect((await api.call({ method: 'DELETE', path: `/api/3/group_reservations/${pending.body.id}` })).status).toBe(404);
  });

  it('since_utc returns only those changed since; scopes are account.group_reservation(.readonly)', async () => {
    const p = await personWithPin('Since');
    const now = Date.now();
    const body = { group_reservation: { person_id: p.id, start_time: iso(now + 3_600_000), end_time: iso(now + 7_200_000), group_ids: [staff] } };
    const made = await api.post('/api/3/group_reservations', body);
    const later = await api.get(`/api/3/group_reservations?since_utc=${iso(now + 120_000)}`);
    expect(later.body.map((r: { id: number }) => r.id)).not.toContain(made.body.id);
    const since = await api.get(`/api/3/group_reservations?since_utc=${iso(now - 2000)}`);
    expect(since.body.map((r: { id: number }) => r.id)).toContain(made.body.id);
    expect(since.headers.total).toBe(String(since.body.length));
    const reader = token(d, 'reader', 'account.group_reservation.readonly');
    expect((await api.get('/api/3/group_reservations', reader)).status).toBe(200);
    expect((await api.post('/api/3/group_reservations', body, reader)).status).toBe(403);
    expect((await api.get('/api/3/group_reservations', token(d, 'no-scope', 'account.reservation'))).status).toBe(403);
  });
});

describe('the CLI', () => {
  it('group assign|unassign|delete and group-reservation add change what the PIN opens at once', async () => {
    const p = await personWithPin('Cli');
    const g = d.cli.json<{ id: number }>('group', 'add', '--name', 'Night shift', '--slot', 'daily 00:00-24:00').id;
    d.cli.json('group', 'assign', '--person', String(p.id), '--group', String(g));
    expect(outcome(p.pin)).toMatchObject({ granted: true });
    expect(d.cli.json<{ id: number; people: number }[]>('group', 'list').find((x) => x.id === g)?.people).toBe(1);
    d.cli.json('group', 'unassign', '--person', String(p.id), '--group', String(g));
    expect(outcome(p.pin)).toMatchObject({ granted: false, reason: 'no_reservation' });
    const now = Date.now();
    const r = d.cli.json<{ id: number; state: string }>(
      'group-reservation',
      'add',
      '--person',
      String(p.id),
      '--group',
      String(g),
      '--start',
      iso(now - 60_000),
      '--end',
      iso(now + 3_600_000),
    );
    expect(r.state).toBe('active');
    expect(outcome(p.pin)).toMatchObject({ granted: true });
    // Deleting the group takes what it gave, reservations included.
    d.cli.json('group', 'delete', String(g));
    expect(outcome(p.pin)).toMatchObject({ granted: false, reason: 'no_reservation' });
    const refused = d.cli.run(
      'group-reservation',
      'add',
      '--person',
      String(p.id),
      '--group',
      '9999',
      '--start',
      iso(now),
      '--end',
      iso(now + 60_000),
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('group_ids');
  });
});

describe("DoorFlow's SDK", () => {
  it('lists groups, makes a person with groupIds, and creates, lists and deletes group reservations', async () => {
    const config = new Configuration({ basePath: `http://127.0.0.1:${api.port}`, accessToken: `Bearer ${groupsToken}` });
    const groups = await new GroupsApi(config).listGroups();
    expect(groups.map((g) => [g.name, g.globalAcrossSites])).toEqual([
      ['Contractors', false],
      ['Staff', false],
    ]);
    const person = await new PeopleApi(config).createPerson({ personInput: { firstName: 'Sdk', lastName: 'Member', groupIds: [staff] } });
    expect(person.groups).toEqual([staff]);
    const reservations = new GroupReservationsApi(config);
    const start = new Date(Date.now() + 3_600_000);
    const made = await reservations.createGroupReservation({
      groupReservationInput: {
        groupReservation: { personId: person.id, startTime: start, endTime: new Date(start.getTime() + 3_600_000), groupIds: [contractors] },
      },
    });
    expect(made).toMatchObject({ personId: person.id, state: 'pending', groupIds: [contractors] });
    expect(made.startTime).toBeInstanceOf(Date);
    expect((await reservations.listGroupReservations({ sinceUtc: new Date(Date.now() - 60_000) })).map((r) => r.id)).toContain(made.id);
    expect(await reservations.deleteGroupReservation({ id: made.id })).toMatchObject({ result: 'ok' });
    expect((await reservations.listGroupReservations()).map((r) => r.id)).not.toContain(made.id);
    const err = await reservations
      .createGroupReservation({
        groupReservationInput: { groupReservation: { personId: person.id, startTime: start, endTime: start, groupIds: [contractors] } },
      })
      .catch((e: unknown) => e);
    expect((err as ResponseError).response.status).toBe(422);
  });
});
