/**
 * Attacks on PINs through the API of a real `keypadd run --sim`, with digest storage: no answer may tell a token
 * whether a value is someone's PIN faster than the throttle allows, and every probe leaves a trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDaemon, person, token, type ApiClient } from '../helpers/api-client.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let api: ApiClient;

beforeAll(async () => {
  ({ d, api } = await apiDaemon('', cleanups));
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const pinBody = (value: string) => ({ person_credential: { credential_type_id: 6, value, enabled: true } });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('API PIN oracles', () => {
  it('refuses a value in PUT without comparing it: the held PIN and a wrong guess get the same answer', async () => {
    const id = await person(api, 'Put');
    const made = await api.post(`/api/3/people/${id}/credentials`, pinBody('730418'));
    expect(made.status).toBe(201);
    const path = `/api/3/people/${id}/credentials/${made.body.id as string}`;
    const right = await api.put(path, { person_credential: { value: '730418' } });
    const wrong = await api.put(path, { person_credential: { value: '730419' } });
    expect([right.status, wrong.status]).toEqual([422, 422]);
    expect(right.body).toEqual(wrong.body);
    expect(right.body).toMatchObject({ errors: { value: ['cannot be changed: delete it and create a new one'] } });
    // enabled alone still changes.
    expect((await api.put(path, { person_credential: { enabled: false } })).body).toMatchObject({ enabled: false });
  });

  it('throttles duplicate-PIN refusals per token (429 after 10 in a minute), records each, and raises an alarm', async () => {
    const held = ['294617', '381946', '572038', '640183', '815372', '926053', '130794', '457201', '703648', '862419', '219436'];
    for (const [i, pin] of held.entries()) {
      const owner = await person(api, `Owner${i}`);
      expect((await api.post(`/api/3/people/${owner}/credentials`, pinBody(pin))).status).toBe(201);
    }
    const prober = token(d, 'prober', 'account.person');
    const target = await person(api, 'Target');
    const statuses: number[] = [];
    for (const pin of held) statuses.push((await api.post(`/api/3/people/${target}/credentials`, pinBody(pin), prober)).status);
    expect(statuses).toEqual([...Array<number>(10).fill(422), 429]);
    // Throttled, the token learns nothing more: a free value is refused unseen too, with the time to wait.
    const free = await api.post(`/api/3/people/${target}/credentials`, pinBody('508391'), prober);
    expect(free.status).toBe(429);
    expect(free.headers['retry-after']).toMatch(/^\d+$/);
    expect(free.body).toMatchObject({ error: 'too_many_requests' });
    // Another token is not held up by this one; a generated PIN never compares a value, so it still works.
    expect((await api.post(`/api/3/people/${target}/credentials`, pinBody('******'), prober)).status).toBe(201);
    const events = await eventually(
      async () =>
        (
          (await api.get('/api/3/events?event_codes=80,81')).body as {
            events: { event_type: string; source: string; event_label: string; detail: unknown }[];
          }
        ).events,
      (e) => e.length >= 11,
    );
    expect(events.filter((e) => e.event_type === 'api_pin_in_use')).toHaveLength(10);
    expect(events.filter((e) => e.event_type === 'api_pin_probe_alarm')).toHaveLength(1);
    expect(events.every((e) => e.source === 'api:prober')).toBe(true);
    const text = JSON.stringify(events);
    for (const pin of held) expect(text).not.toContain(pin);
    expect(d.stderr).toMatch(/api:prober: .*PIN.*in use/);
  });

  it('takes about as long to refuse a PIN in use as to create a free one (no timing oracle)', async () => {
    const owner = await person(api, 'TimedOwner');
    expect((await api.post(`/api/3/people/${owner}/credentials`, pinBody('617283'))).status).toBe(201);
    const clash: number[] = [];
    const fresh: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = token(d, `timer${i}`, 'account.person');
      const a = await person(api, `TimedA${i}`);
      const b = await person(api, `TimedB${i}`);
      const refused = await api.post(`/api/3/people/${a}/credentials`, pinBody('617283'), t);
      const created = await api.post(`/api/3/people/${b}/credentials`, pinBody(String(701_000 + i * 37)), t);
      expect([refused.status, created.status]).toEqual([422, 201]);
      clash.push(refused.ms);
      fresh.push(created.ms);
    }
    // Neither answer waits for more than the other: a refusal is recorded without waiting for its commit.
    expect(median(clash) / median(fresh)).toBeGreaterThan(0.5);
    expect(median(clash) / median(fresh)).toBeLessThan(2);
  }, 60_000);
});
