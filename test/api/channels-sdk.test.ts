/**
 * DoorFlow's own SDK (npm `doorflow`) as the client of a real `keypadd run --sim` over real HTTP: every channel
 * operation called the way a DoorFlow integration calls it, unchanged, and what the door then does.
 */
import { AdmissionRequestsApi, ChannelsApi, Configuration, ResponseError } from 'doorflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDaemon, person, token, type ApiClient } from '../helpers/api-client.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let api: ApiClient;
let channels: ChannelsApi;
let admissions: AdmissionRequestsApi;

/** The SDK's configuration as its DoorFlowAuth builds it (auth/DoorFlowAuth.js): the token as a Bearer header. */
const sdk = (accessToken: string) => new Configuration({ basePath: `http://127.0.0.1:${api.port}`, accessToken: () => `Bearer ${accessToken}` });

beforeAll(async () => {
  ({ d, api } = await apiDaemon('doors: [{ id: 1, name: Front Door, unlock_ms: 1000 }]\n', cleanups));
  const all = token(d, 'integration', 'account.person', 'account.channel.readonly', 'account.channel.admit', 'account.channel.admit.person');
  channels = new ChannelsApi(sdk(all));
  admissions = new AdmissionRequestsApi(sdk(all));
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const events = () =>
  d.cli.json<{ events: { event_type: string; event_code: number; source: string | null }[] }>('event', 'list', '--limit', '1000').events;

describe('the Channel schema through the SDK', () => {
  it('lists and gets the door with every required field and honest values', async () => {
    const list = await channels.listChannels({});
    expect(list).toHaveLength(1);
    const ch = await channels.getChannel({ id: 1 });
    expect(ch).toMatchObject({ id: 1, name: 'Front Door', status: 'online', unit: 1, model: 'keypadd', mode: { description: 'normal' } });
    expect(ch.macAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(ch.sync).toMatchObject({ status: 'ok' });
    expect(ch.lockdown).toBeUndefined(); // null on the wire; the SDK maps it to undefined
    expect(ch.autoUnlock).toBeUndefined();
  });
});

describe('operations through the SDK', () => {
  it('lockdown refuses the demo PIN with code 22 and the REX; unlockdown restores them', async () => {
    const ch = await channels.lockdownChannel({ id: 1, lockdownChannelRequest: { cardLockdown: true, rexLockdown: true } });
    expect(ch.lockdown).toMatchObject({ cardLockdown: { state: true }, rexLockdown: { state: true }, auxLockdown: { state: false } });
    expect(d.key(`${d.demoPin()}#`)).toMatchObject({ relay: 'locked', outcomes: [{ reason: 'lockdown' }] });
    expect(d.cli.json<{ relay: string }>('sim', 'rex').relay).toBe('locked');
    // Remote unlocks are refused while locked down (409), and the door stays locked.
    await expect(channels.unlockChannel({ id: 1 })).rejects.toBeInstanceOf(ResponseError);
    const back = await channels.unlockdownChannel({ id: 1 });
    expect(back.lockdown).toBeUndefined();
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked');
    const e = await eventually(events, (x) => x.some((y) => y.event_type === 'lockdown_ended'));
    expect(e.find((y) => y.event_code === 22)).toBeDefined();
    expect(e.find((y) => y.event_type === 'lockdown_started')).toMatchObject({ source: 'api:integration' });
    expect(e.find((y) => y.event_type === 'rex_refused')).toBeDefined();
  });

  it('unlock with relock_at holds the door unlocked and then relocks by itself', async () => {
    const relockAt = new Date(Date.now() + 3000);
    const ch = await channels.unlockChannel({ id: 1, unlockChannelRequest: { relockAt } });
    expect(ch.mode.description).toBe('unlock');
    expect(ch.mode.relockAt?.getTime()).toBe(Math.floor(relockAt.getTime() / 1000) * 1000);
    const after = await eventually(
      () => channels.getChannel({ id: 1 }),
      (c) => c.mode.description === 'normal',
      10_000,
    );
    expect(after.mode.relockAt).toBeUndefined();
    await expect(channels.unlockChannel({ id: 1, unlockChannelRequest: { relockAt: new Date(Date.now() - 60_000) } })).rejects.toMatchObject({
      response: { status: 422 },
    });
    // Without relock_at, as before: until normal.
    expect((await channels.unlockChannel({ id: 1 })).mode).toMatchObject({ description: 'unlock' });
    expect((await channels.normalChannel({ id: 1 })).mode).toMatchObject({ description: 'normal' });
  });

  it('auto_unlock sets a shift by id, refuses an unknown one, and clears with no shift_id', async () => {
    const shift = d.cli.json<{ id: number }>('shift', 'add', '--name', 'All day', '--slot', 'daily 00:00-24:00');
    const ch = await channels.autoUnlockChannel({ id: 1, autoUnlockChannelRequest: { shiftId: shift.id } });
    expect(ch.autoUnlock).toEqual({ id: shift.id, name: 'All day' });
    await eventually(
      () => channels.getChannel({ id: 1 }),
      (c) => c.mode.description === 'unlock',
    );
    expect(d.status().relay).toBe('unlocked');
    await expect(channels.autoUnlockChannel({ id: 1, autoUnlockChannelRequest: { shiftId: 999 } })).rejects.toMatchObject({
      response: { status: 422 },
    });
    const off = await channels.autoUnlockChannel({ id: 1, autoUnlockChannelRequest: {} });
    expect(off.autoUnlock).toBeUndefined();
    expect(d.status().relay).toBe('locked');
    const codes = (await eventually(events, (x) => x.some((y) => y.event_code === 41))).map((y) => y.event_code);
    expect(codes).toEqual(expect.arrayContaining([40, 41]));
  });

  it('admit_person admits a person with access (202, admitted), denies one without, and the request can be read back', async () => {
    const staff = await person(api, 'Staff');
    const visitor = await api.post('/api/3/people', { first_name: 'No', last_name: 'Access', role_ids: [] });
    d.cli.json('role', 'unassign', '--person', String(visitor.body.id), '--role', '1');
    await new Promise((r) => setTimeout(r, 1200)); // past the last grant's unlock
    // The relay's unlock count, not its level: on a loaded machine a short unlock can end before the CLI reads it.
    const unlocksBefore = d.status().unlock_count;
    const ok = await channels.admitPerson({ id: 1, admitPersonRequest: { personId: staff } });
    expect(ok).toMatchObject({ status: 'admitted' });
    expect(d.status().unlock_count).toBe(unlocksBefore + 1);
    const read = await admissions.getAdmissionRequest({ id: ok.admissionRequestId! });
    expect(read).toMatchObject({
      id: ok.admissionRequestId,
      status: 'admitted',
      channelId: 1,
      personId: staff,
      doorController: { id: 1, name: 'Front Door' },
    });
    expect(read.person).toMatchObject({ id: staff, name: 'Test Staff' });

    const no = await channels.admitPerson({ id: 1, admitPersonRequest: { personId: visitor.body.id as number } });
    expect(no.status).toBe('denied');
    expect((await admissions.getAdmissionRequest({ id: no.admissionRequestId! })).status).toBe('denied');
    await expect(channels.admitPerson({ id: 1, admitPersonRequest: { personId: 99_999 } })).resolves.toMatchObject({ status: 'denied' });
    const e = await eventually(events, (x) => x.some((y) => y.event_code === 15));
    expect(e.find((y) => y.event_code === 15)).toMatchObject({ event_type: 'access_granted', source: 'api:integration' });
  });

  it('admit answers 202 with an admission request too; scopes are enforced', async () => {
    const r = await channels.admitChannel({ id: 1 });
    expect(r).toMatchObject({ status: 'admitted' });
    expect(r.admissionRequestId).toBeGreaterThan(0);
    const onlyAdmit = new ChannelsApi(sdk(token(d, 'buzzer', 'account.channel.admit')));
    await expect(onlyAdmit.admitPerson({ id: 1, admitPersonRequest: { personId: 1 } })).rejects.toMatchObject({ response: { status: 403 } });
    const readOnly = new AdmissionRequestsApi(sdk(token(d, 'viewer', 'account.channel.readonly')));
    await expect(readOnly.getAdmissionRequest({ id: r.admissionRequestId! })).rejects.toMatchObject({ response: { status: 403 } });
    await expect(channels.getChannel({ id: 9 })).rejects.toMatchObject({ response: { status: 404 } });
  });
});
