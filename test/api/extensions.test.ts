/**
 * keypadd's extensions to DoorFlow's bodies over real HTTP against a child `keypadd run --sim`: `uses_remaining` on a
 * PIN credential and `unlock_seconds` on a person. A bad value is a 422 naming the field and the rule and changes
 * nothing; a good one is answered back and honoured at the door.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiDaemon, person } from '../helpers/api-client.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let api: ApiClient;

beforeAll(async () => {
  ({ d, api } = await apiDaemon('doors: [{ id: 1, name: Front Door, unlock_ms: 500 }]\n', cleanups));
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const credentials = async (id: number) => (await api.get(`/api/3/people/${id}/credentials`)).body as unknown[];
const locked = () =>
  eventually(
    () => d.status(),
    (s) => s.relay === 'locked',
    10_000,
  );

describe('uses_remaining on a PIN credential', () => {
  it.each([
    [0, 'must be a whole number from 1 to'],
    [-3, 'must be a whole number from 1 to'],
    [1.5, 'must be a whole number from 1 to'],
    [10_000_000, 'must be a whole number from 1 to'],
  ])('refuses %j with 422 naming uses_remaining, and makes no credential', async (uses, rule) => {
    const id = await person(api, `Uses${String(uses)}`);
    const r = await api.post(`/api/3/people/${id}/credentials`, { person_credential: { credential_type_id: 6, uses_remaining: uses } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: 'validation_failed', errors: { uses_remaining: [expect.stringContaining(rule)] } });
    expect(await credentials(id)).toEqual([]);
  });

  it('refuses it on a card: only a PIN can be use-limited', async () => {
    const id = await person(api, 'UsesCard');
    const r = await api.post(`/api/3/people/${id}/credentials`, { credential_type_id: 5, value: '4242424242', uses_remaining: 2 });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual({ uses_remaining: ['only a PIN can be use-limited'] });
    expect(await credentials(id)).toEqual([]);
  });

  it('refuses a string with 422 from the body check, naming the field', async () => {
    const id = await person(api, 'UsesText');
    const r = await api.post(`/api/3/people/${id}/credentials`, { credential_type_id: 6, uses_remaining: '2' });
    expect(r.status).toBe(422);
    expect(Object.keys(r.body.errors as object)).toEqual(['uses_remaining']);
  });

  it('answers a one-time PIN with uses_remaining 1; it opens once, then is refused as uses_exhausted', async () => {
    const id = await person(api, 'OneTime');
    const r = await api.post(`/api/3/people/${id}/credentials`, { credential_type_id: 6, uses_remaining: 1 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ uses_remaining: 1, enabled: true });
    const pin = r.body.value as string;
    await locked();
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked' });
    await locked();
    const again = d.key(`${pin}#`);
    expect(again).toMatchObject({ relay: 'locked' });
    expect(again.outcomes?.[0]).toMatchObject({ reason: 'uses_exhausted' });
    const [cred] = (await credentials(id)) as { uses_remaining: number; enabled: boolean }[];
    expect(cred).toMatchObject({ uses_remaining: 0, enabled: false });
  });
});

describe('unlock_seconds on a person', () => {
  it.each([[0], [-1], [2.5], [100_000], ['10']])('refuses %j with 422 naming unlock_seconds, and makes nobody', async (seconds) => {
    const before = (await api.get('/api/3/people?per_page=500')).body.length as number;
    const r = await api.post('/api/3/people', { first_name: 'Slow', last_name: 'Door', unlock_seconds: seconds });
    expect(r.status).toBe(422);
    expect(Object.keys(r.body.errors as object)).toEqual(['unlock_seconds']);
    expect((await api.get('/api/3/people?per_page=500')).body).toHaveLength(before);
  });

  it('refuses a bad value on update and leaves the person as they were', async () => {
    const id = await person(api, 'Steady');
    const r = await api.put(`/api/3/people/${id}`, { unlock_seconds: 0 });
    expect(r.status).toBe(422);
    expect(r.body.errors.unlock_seconds).toEqual([expect.stringContaining('from 1 to')]);
    expect((await api.get(`/api/3/people/${id}`)).body).toMatchObject({ unlock_seconds: null });
  });

  it("answers a good value back, holds that person's grants open that long, and null goes back to the door's time", async () => {
    const id = await person(api, 'Wheelchair');
    const set = await api.put(`/api/3/people/${id}`, { unlock_seconds: 4 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ unlock_seconds: 4 });
    const pin = (await api.post(`/api/3/people/${id}/credentials`, { credential_type_id: 6 })).body.value as string;
    await locked();
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked' });
    // The door's own time is 0.5 s: 2 s on, only the person's 4 s keeps it open.
    await new Promise((r) => setTimeout(r, 2000));
    expect(d.status().relay).toBe('unlocked');

    const reset = await api.put(`/api/3/people/${id}`, { unlock_seconds: null });
    expect(reset.body).toMatchObject({ unlock_seconds: null });
    await locked();
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked' });
    await new Promise((r) => setTimeout(r, 2000));
    expect(d.status().relay).toBe('locked');
  });
});
