/** keypadd publishing to a real Mosquitto: topics, fields, retained state, availability, discovery, commands. */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker, requireTool } from '../helpers/broker.js';
import { Consumer } from '../helpers/consumer.js';
import { eventually, simDoor } from '../helpers/daemon.js';
import { FakeUpstream, population } from '../helpers/fake-upstream.js';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOOR_SCOPED_EVENT_TYPES } from '../../src/core/event-types.js';

const HAVE = requireTool(['mosquitto', 'mosquitto_sub'], 'MQTT');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function setup(mqttExtra = '') {
  // Mosquitto's default log types, plus subscriptions (a test waits for one).
  const broker = new Broker({ extra: () => ['error', 'warning', 'notice', 'information', 'subscribe'].map((t) => `log_type ${t}`).join('\n') });
  await broker.start();
  cleanups.push(() => broker.dispose());
  const d = simDoor(`mqtt:\n  url: ${broker.url}\n  node_id: door-ctl\n  reconnect_max_s: 1\n${mqttExtra}`, cleanups as (() => void)[]);
  const consumer = new Consumer(broker.url, ['keypadd/#', 'homeassistant/#']);
  await consumer.start();
  cleanups.push(() => consumer.stop());
  /** The daemon subscribes to its command topics before it publishes its status on the same connection. */
  const connected = () =>
    eventually(
      () => consumer.on('/status'),
      (m) => m.length > 0,
    );
  return { broker, d, consumer, connected };
}

describe.skipIf(!HAVE)('MQTT publishing', () => {
  it('publishes each event on <base>/<node>/<door>/event with the API fields, to mosquitto_sub too', async () => {
    const { broker, d, consumer } = await setup();
    const sub = spawn('mosquitto_sub', [
      '-i',
      'test-sub',
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-t',
      'keypadd/door-ctl/1/event',
      '-q',
      '1',
      '-C',
      '2',
    ]);
    let subOut = '';
    sub.stdout.on('data', (b: Buffer) => (subOut += b.toString()));
    cleanups.push(() => void sub.kill());
    // The broker logs each subscription ("test-sub 1 keypadd/door-ctl/1/event"): then mosquitto_sub is listening.
    await eventually(
      () => broker.log,
      (l) => l.includes('test-sub 1 keypadd/door-ctl/1/event'),
      10_000,
    );
    await d.start();
    const pin = d.demoPin();
    d.key(`${pin}#`);
    d.key('111190#');
    const events = await eventually(
      () => consumer.on('/1/event'),
      (m) => m.length >= 2,
    );
    const [granted, denied] = events.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    expect(granted).toMatchObject({
      event_type: 'access_granted',
      event_code: 11,
      channel_id: 1,
      channel_name: 'Front Door',
      door_seq: 1,
      person_id: 1,
      person_name: 'Demo Person',
      credential_type: 'PIN',
      time_trusted: true,
    });
    expect(granted).toHaveProperty('uid');
    expect(granted).toHaveProperty('timestamp');
    expect(denied).toMatchObject({ event_type: 'access_denied', reason: 'unknown_credential', door_seq: 2 });
    expect(events.every((m) => !m.retain)).toBe(true);
    for (const m of consumer.messages) expect(m.payload).not.toContain(pin);
    await new Promise<void>((resolve) => (sub.exitCode !== null ? resolve() : sub.once('exit', () => resolve())));
    expect(
      subOut
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { event_type: string }).event_type),
    ).toEqual(['access_granted', 'access_denied']);
  });

  it('keeps a retained state per door, a status, and availability with a last will that fires on SIGKILL', async () => {
    const { broker, d, consumer } = await setup();
    await d.start();
    d.key(`${d.demoPin()}#`);
    d.key('111190#222290#333390#');
    // Once the state naming the last event has gone out (the consumer there from the start sees it)...
    await eventually(
      () => consumer.on('/1/state').map((m) => JSON.parse(m.payload) as { last_event_id: number }),
      (st) => st.at(-1)?.last_event_id === 5,
    );
    // ...a consumer arriving later gets the retained topics.
    const late = new Consumer(broker.url, ['keypadd/door-ctl/+/state', 'keypadd/door-ctl/availability', 'keypadd/door-ctl/status']);
    await late.start();
    cleanups.push(() => late.stop());
    const state = await eventually(
      () => late.on('/1/state'),
      (m) => m.length > 0,
    );
    expect(state[0]!.retain).toBe(true);
    expect(JSON.parse(state[0]!.payload)).toMatchObject({
      lock: 'unlocked',
      door: 'closed',
      lockout: { active: true },
      last_event_id: 5,
      last_access: { event_type: 'access_denied', reason: 'unknown_credential' },
    });
    expect(late.on('/availability').map((m) => m.payload)).toEqual(['online']);
    // The status goes out again as soon as the backlog is drained.
    const status = await eventually(
      () => late.on('/status').map((m) => JSON.parse(m.payload) as { outbox_backlog: number }),
      (st) => st.at(-1)?.outbox_backlog === 0,
    );
    expect(status.at(-1)).toMatchObject({ version: '0.1.0', outbox_backlog: 0, clock_trusted: true, last_sync: null });
    await d.stop('SIGKILL');
    await eventually(
      () => late.on('/availability').map((m) => m.payload),
      (p) => p.at(-1) === 'offline',
    );
    expect(late.on('/availability').map((m) => m.payload)).toEqual(['online', 'offline']);
  });

  it('publishes Home Assistant discovery with the fields HA requires, and again when HA comes online', async () => {
    const { d, consumer } = await setup('  homeassistant: true\n  commands: true\n');
    await d.start();
    // Discovery goes out as a burst of publishes that may arrive over a few reads: wait for as many as are expected.
    const config = (component: string, expected = 1) =>
      eventually(
        () => consumer.messages.filter((m) => m.topic.startsWith(`homeassistant/${component}/door-ctl/`) && m.payload !== ''),
        (m) => m.length >= expected,
      );
    const lock = JSON.parse((await config('lock'))[0]!.payload) as Record<string, unknown>;
    expect(lock).toMatchObject({
      command_topic: 'keypadd/door-ctl/1/set',
      state_topic: 'keypadd/door-ctl/1/state',
      state_locked: 'locked',
      state_unlocked: 'unlocked',
      availability: [
        { topic: 'keypadd/door-ctl/availability', payload_available: 'online', payload_not_available: 'offline' },
        { topic: 'keypadd/door-ctl/1/availability', payload_available: 'online', payload_not_available: 'offline' },
      ],
      unique_id: 'keypadd_door-ctl_door1_lock',
    });
    const event = JSON.parse((await config('event'))[0]!.payload) as { state_topic: string; event_types: string[] };
    expect(event.state_topic).toBe('keypadd/door-ctl/1/event');
    expect(event.event_types).toEqual([...DOOR_SCOPED_EVENT_TYPES]);
    // Commands on: no read-only lock sensor (its config topic is emptied, which removes it from HA).
    expect(consumer.messages.find((m) => m.topic === 'homeassistant/binary_sensor/door-ctl/door1_lock/config')?.payload).toBe('');
    const contact = JSON.parse((await config('binary_sensor', 2)).find((m) => m.topic.endsWith('door1_contact/config'))!.payload) as Record<
      string,
      unknown
    >;
    expect(contact).toMatchObject({ device_class: 'door', payload_on: 'open', payload_off: 'closed', state_topic: 'keypadd/door-ctl/1/state' });
    const sensors = (await config('sensor', 4)).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    expect(sensors.map((s) => s.unique_id).sort()).toEqual([
      'keypadd_door-ctl_door1_auto_unlock',
      'keypadd_door-ctl_door1_last_access',
      'keypadd_door-ctl_outbox_backlog',
      'keypadd_door-ctl_sync_status',
    ]);
    // One device per door, reached via the controller's; the controller's own sensors on the controller's device.
    for (const m of consumer.messages.filter((x) => x.topic.startsWith('homeassistant/') && x.payload !== '')) {
      const device = (JSON.parse(m.payload) as { device: { identifiers: string[]; via_device?: string } }).device;
      const perDoor = m.topic.includes('/door1');
      expect(device.identifiers).toEqual([perDoor ? 'keypadd_door-ctl_door1' : 'keypadd_door-ctl']);
      expect(device.via_device).toBe(perDoor ? 'keypadd_door-ctl' : undefined);
    }
    // HA restarted: every discovery config goes out again, unchanged.
    const configs = () => consumer.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config'));
    const first = new Map(configs().map((m) => [m.topic, m.payload]));
    const before = configs().length;
    await consumer.publish('homeassistant/status', 'online');
    const again = (await eventually(configs, (m) => m.length >= before + first.size)).slice(before);
    expect(new Map(again.map((m) => [m.topic, m.payload]))).toEqual(first);
  });

  it('shows a lock HA cannot operate (commands off) as a lock sensor, not a lock', async () => {
    const { d, consumer } = await setup('  homeassistant: true\n');
    await d.start();
    const sensor = await eventually(
      () => consumer.messages.find((m) => m.topic === 'homeassistant/binary_sensor/door-ctl/door1_lock/config'),
      (m) => m !== undefined,
    );
    expect(JSON.parse(sensor!.payload)).toMatchObject({
      device_class: 'lock',
      payload_on: 'unlocked',
      payload_off: 'locked',
      state_topic: 'keypadd/door-ctl/1/state',
    });
    const lock = await eventually(
      () => consumer.messages.find((m) => m.topic === 'homeassistant/lock/door-ctl/door1/config'),
      (m) => m !== undefined,
    );
    expect(lock!.payload).toBe('');
  });

  it('executes commands when enabled: each accepted or refused command is an event naming its source', async () => {
    const { d, consumer, connected } = await setup('  commands: true\n');
    await d.start();
    await connected();
    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"unlock","duration_ms":2000}');
    const result = await eventually(
      () => consumer.on('/1/set/result'),
      (m) => m.length > 0,
    );
    expect(JSON.parse(result[0]!.payload)).toEqual({ command: 'unlock', accepted: true });
    expect(d.status()).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    for (const bad of ['not json', '{"command":"explode"}', '{"command":"unlock","duration_ms":-1}', '[1]']) {
      await consumer.publish('keypadd/door-ctl/1/set', bad);
    }
    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"sync_now"}');
    const results = await eventually(
      () => consumer.on('/1/set/result'),
      (m) => m.length >= 6,
    );
    expect(results.slice(1).map((m) => (JSON.parse(m.payload) as { reason: string }).reason)).toEqual([
      'payload: not valid JSON (send {"command":"unlock"})',
      'command: must be one of unlock, lock, lockout_reset, sync_now, lockdown, lockdown_rex, unlockdown, hold_unlocked, normal, site_lockdown, site_lockdown_rex, site_unlockdown',
      'duration_ms: must be a whole number from 100 to 600000',
      'payload: must be a JSON object',
      'sync is not configured on this controller',
    ]);
    // Refusals are summed per door per second: one command_refused event (two if the burst straddles a second).
    const refusals = () =>
      consumer
        .on('/1/event')
        .map((m) => JSON.parse(m.payload) as { event_type: string; source: string; detail: { count: number } | null })
        .filter((e) => e.event_type === 'command_refused');
    const summed = await eventually(refusals, (e) => e.reduce((n, x) => n + x.detail!.count, 0) >= 5);
    expect(summed.reduce((n, x) => n + x.detail!.count, 0)).toBe(5);
    expect(summed.length).toBeLessThanOrEqual(3);
    expect(summed.every((e) => e.source === 'mqtt')).toBe(true);
    expect(consumer.events()[0]!.event_type).toBe('remote_unlock');
    expect(d.status().unlock_count).toBe(1); // the daemon is still up and answering, and obeyed only the unlock
  });

  it('locks on the lock command and ends a keypad lockout on lockout_reset, each an event naming mqtt', async () => {
    const { d, consumer, connected } = await setup('  commands: true\n');
    await d.start();
    await connected();
    const command = (json: string) => consumer.publish('keypadd/door-ctl/1/set', json);
    await command('{"command":"unlock","duration_ms":600000}');
    await eventually(
      () => d.status().relay,
      (r) => r === 'unlocked',
    );
    await command('{"command":"lock"}');
    await eventually(
      () => d.status().relay,
      (r) => r === 'locked',
    );
    d.key('111190#222290#333390#');
    expect(d.status().lockout.active).toBe(true);
    await command('{"command":"lockout_reset"}');
    await eventually(
      () => d.status().lockout.active,
      (a) => a === false,
    );
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked'); // the right PIN works again
    const results = await eventually(
      () => consumer.on('/1/set/result').map((m) => JSON.parse(m.payload) as unknown),
      (r) => r.length >= 3,
    );
    expect(results).toEqual(['unlock', 'lock', 'lockout_reset'].map((c) => ({ command: c, accepted: true })));
    const remote = () =>
      consumer
        .on('/1/event')
        .map((m) => JSON.parse(m.payload) as { event_type: string; event_code: number; source: string | null })
        .filter((e) => ['remote_unlock', 'remote_lock', 'lockout_reset'].includes(e.event_type));
    expect(await eventually(remote, (e) => e.length >= 3)).toEqual([
      expect.objectContaining({ event_type: 'remote_unlock', event_code: 50, source: 'mqtt' }),
      expect.objectContaining({ event_type: 'remote_lock', event_code: 51, source: 'mqtt' }),
      expect.objectContaining({ event_type: 'lockout_reset', event_code: 38, source: 'mqtt' }),
    ]);
  });

  it('sync_now pulls from the upstream, and the status topic carries the sync state', async () => {
    const up = new FakeUpstream();
    await up.start();
    cleanups.push(() => up.stop());
    const pop = population(3);
    up.people = pop.people;
    up.credentials = pop.credentials;
    up.roles = [{ id: 1, name: 'Staff', shift_id: null }];
    const { d, consumer, connected } = await setup('  commands: true\n');
    const tokenFile = join(d.cli.dataDir, 'upstream-token');
    writeFileSync(tokenFile, up.token);
    // interval_s is long: after the first pull at start, only sync_now pulls.
    appendFileSync(d.cli.configFile, `sync: { url: "${up.url}", token_file: ${tokenFile}, interval_s: 3600, doors: [{ door: 1, role_ids: [1] }] }\n`);
    await d.start();
    await connected();
    const status = () => consumer.on('/status').map((m) => JSON.parse(m.payload) as { last_sync: string | null; sync: { status: string } | null });
    await eventually(status, (m) => m.at(-1)?.sync?.status === 'complete', 10_000);
    const pulls = () => up.requests.filter((q) => q.startsWith('/api/3/people')).length;
    const before = pulls();
    up.people.push(...population(1, { from: 50, updatedAt: new Date().toISOString() }).people);
    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"sync_now"}');
    const result = await eventually(
      () => consumer.on('/1/set/result'),
      (m) => m.length > 0,
    );
    expect(JSON.parse(result[0]!.payload)).toEqual({ command: 'sync_now', accepted: true });
    await eventually(pulls, (n) => n > before, 10_000);
    const events = await eventually(
      () => consumer.on('door-ctl/event').map((m) => JSON.parse(m.payload) as { event_type: string; event_label: string }),
      (e) => e.filter((x) => x.event_type === 'sync_completed').length >= 2,
      10_000,
    );
    expect(events.filter((x) => x.event_type === 'sync_completed').at(-1)?.event_label).toMatch(/people \+1 /);
    expect(status().at(-1)).toMatchObject({ last_sync: expect.stringMatching(/Z$/), sync: { status: 'complete', last_error: null } });
  });

  it('does not even subscribe to commands while they are disabled: nothing obeyed, answered or stored', async () => {
    const { d, consumer, connected } = await setup();
    await d.start();
    await connected();
    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"unlock"}');
    d.key('111190#');
    await eventually(
      () => consumer.events(),
      (e) => e.length > 0,
    );
    expect(consumer.on('/1/set/result')).toEqual([]);
    expect(consumer.events().map((e) => e.event_type)).toEqual(['access_denied']);
    expect(d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
  });
});
