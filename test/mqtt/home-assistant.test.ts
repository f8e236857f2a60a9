/**
 * Home Assistant as it sees keypadd, on a real Mosquitto: the retained discovery set follows the configured doors
 * (across a restart with a door removed), one device per door, the event types from the one table, the last access
 * across a restart, and `require_code` both ways (a PIN opens and names its holder; a wrong one counts as a guess).
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DOOR_SCOPED_EVENT_TYPES } from '../../src/core/event-types.js';
import { Broker, requireTool } from '../helpers/broker.js';
import { Consumer, type Received } from '../helpers/consumer.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const HAVE = requireTool(['mosquitto'], 'MQTT');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const DOORS = { both: 'doors: [{ id: 1, name: Front Door }, { id: 2, name: Back Door }]\n', front: 'doors: [{ id: 1, name: Front Door }]\n' };

async function setup(doors: string, homeassistant = 'true') {
  const broker = new Broker();
  await broker.start();
  cleanups.push(() => broker.dispose());
  const mqtt = (d: string, node = 'door-ctl') =>
    `${d}mqtt:\n  url: ${broker.url}\n  node_id: ${node}\n  reconnect_max_s: 1\n  commands: true\n  homeassistant: ${homeassistant}\n`;
  const d = simDoor(mqtt(doors), cleanups as (() => void)[]);
  const consumer = new Consumer(broker.url, ['keypadd/#', 'homeassistant/#']);
  await consumer.start();
  cleanups.push(() => consumer.stop());
  return { broker, d, consumer, reconfigure: (next: string, node?: string) => writeFileSync(d.cli.configFile, mqtt(next, node)) };
}

/**
 * What the broker retains now, as a client arriving later gets it: the retained messages are sent on subscribing,
 * before a marker this client publishes afterwards comes back, so the marker closes the set.
 */
async function retained(broker: Broker): Promise<Map<string, string>> {
  const late = new Consumer(broker.url, ['keypadd/#', 'homeassistant/#', 'test/marker'], { clean: true });
  await late.start();
  await late.publish('test/marker', 'end');
  const got = await eventually(
    () => late.messages,
    (m) => m.some((x) => x.topic === 'test/marker'),
  );
  await late.stop();
  return new Map(got.filter((m: Received) => m.retain).map((m) => [m.topic, m.payload]));
}

const configs = (r: Map<string, string>) => [...r.keys()].filter((t) => t.startsWith('homeassistant/')).sort();

const doorConfigs = (id: number) => [
  `homeassistant/binary_sensor/door-ctl/door${id}_contact/config`,
  `homeassistant/binary_sensor/door-ctl/door${id}_lockout/config`,
  `homeassistant/event/door-ctl/door${id}_access/config`,
  `homeassistant/lock/door-ctl/door${id}/config`,
  `homeassistant/sensor/door-ctl/door${id}_auto_unlock/config`,
  `homeassistant/sensor/door-ctl/door${id}_last_access/config`,
  `homeassistant/switch/door-ctl/door${id}_lockdown/config`,
];
// The site lockdown switch is the controller's: it stays while any door is configured.
const CONTROLLER = [
  'homeassistant/sensor/door-ctl/outbox_backlog/config',
  'homeassistant/sensor/door-ctl/sync_status/config',
  'homeassistant/switch/door-ctl/site_lockdown/config',
];

/** Waits until the daemon's retained state of a door names `eventId` as its last event. */
const stateNaming = (consumer: Consumer, door: number, eventId: number) =>
  eventually(
    () => consumer.on(`door-ctl/${door}/state`).map((m) => JSON.parse(m.payload) as DoorStateJson),
    (st) => st.at(-1)?.last_event_id === eventId,
  );

interface DoorStateJson {
  last_event_id: number | null;
  last_access: { event_id: number; event_type: string; person_name: string | null; source: string | null; at: string; label: string } | null;
}

const events = (d: SimDaemon) =>
  d.cli.json<{ events: { id: number; event_type: string; person_name: string | null; source: string | null; reason: string | null }[] }>(
    'event',
    'list',
    '--limit',
    '1000',
  ).events;

describe.skipIf(!HAVE)('Home Assistant discovery', () => {
  it('retains exactly the configured doors’ entities, one device per door, and empties a removed door’s at the next start', async () => {
    const { broker, d, reconfigure } = await setup(DOORS.both);
    await d.start();
    const expected = [...doorConfigs(1), ...doorConfigs(2), ...CONTROLLER].sort();
    const before = await eventually(
      () => retained(broker),
      (r) => configs(r).length >= expected.length,
    );
    expect(configs(before)).toEqual(expected);
    expect(before.get('keypadd/door-ctl/2/availability')).toBe('online');

    const payload = (topic: string) => JSON.parse(before.get(topic)!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- discovery JSON, read field by field
    const lock = payload('homeassistant/lock/door-ctl/door2/config');
    // has_entity_name: the lock carries the device's (the door's) name; the others their own part after it.
    expect(lock.name).toBeNull();
    expect(lock.unique_id).toBe('keypadd_door-ctl_door2_lock');
    expect(lock.device).toMatchObject({ identifiers: ['keypadd_door-ctl_door2'], name: 'Back Door', via_device: 'keypadd_door-ctl' });
    expect(lock.availability).toEqual([
      { topic: 'keypadd/door-ctl/availability', payload_available: 'online', payload_not_available: 'offline' },
      { topic: 'keypadd/door-ctl/2/availability', payload_available: 'online', payload_not_available: 'offline' },
    ]);
    expect(lock.availability_mode).toBe('all');
    expect(lock).not.toHaveProperty('code_format');
    expect(payload('homeassistant/binary_sensor/door-ctl/door1_contact/config')).toMatchObject({ name: 'Contact', device_class: 'door' });
    const lockout = payload('homeassistant/binary_sensor/door-ctl/door1_lockout/config');
    expect(lockout).toMatchObject({
      name: 'Keypad lockout',
      state_topic: 'keypadd/door-ctl/1/state',
      json_attributes_topic: 'keypadd/door-ctl/1/state',
    });
    // The event entity lists every type the table says happens at a door: the remote hold and normal ones included.
    const event = payload('homeassistant/event/door-ctl/door1_access/config');
    expect(event.event_types).toEqual([...DOOR_SCOPED_EVENT_TYPES]);
    expect(event.event_types).toEqual(expect.arrayContaining(['remote_hold_unlocked', 'remote_normal', 'rex', 'remote_unlock']));
    const sync = payload('homeassistant/sensor/door-ctl/sync_status/config');
    expect(sync).toMatchObject({
      device_class: 'enum',
      options: ['complete', 'failing', 'syncing', 'pending', 'off'],
      entity_category: 'diagnostic',
    });
    expect(sync.device).toEqual(expect.objectContaining({ identifiers: ['keypadd_door-ctl'], name: 'keypadd door-ctl' }));
    expect(sync.device).not.toHaveProperty('via_device');
    expect(payload('homeassistant/sensor/door-ctl/door1_last_access/config').device.identifiers).toEqual(['keypadd_door-ctl_door1']);

    // The back door is taken out of the config: after a restart HA keeps nothing of it (not even a state or availability).
    await d.stop();
    reconfigure(DOORS.front);
    await d.start();
    const after = await eventually(
      () => retained(broker),
      (r) => !configs(r).some((t) => t.includes('door2')) && r.get('keypadd/door-ctl/availability') === 'online',
      10_000,
    );
    expect(configs(after)).toEqual([...doorConfigs(1), ...CONTROLLER].sort());
    expect([...after.keys()].filter((t) => t.startsWith('keypadd/door-ctl/2/'))).toEqual([]);
    expect(after.get('keypadd/door-ctl/1/availability')).toBe('online');
    expect(d.stderr).toMatch(/emptying \d+ retained topic\(s\) no longer published/);

    // A third start has nothing left to empty (the record now holds door 1 only).
    await d.stop();
    await d.start();
    await eventually(
      () => retained(broker),
      (r) => r.get('keypadd/door-ctl/availability') === 'online',
    );
    expect(d.stderr).not.toMatch(/emptying/);
  });

  it('never empties what is recorded under another node id (a database restored onto another controller)', async () => {
    const { broker, d, reconfigure } = await setup(DOORS.front);
    await d.start();
    await eventually(
      () => retained(broker),
      (r) => configs(r).length === doorConfigs(1).length + CONTROLLER.length,
    );
    await d.stop();
    reconfigure(DOORS.front, 'other-ctl');
    await d.start();
    const after = await eventually(
      () => retained(broker),
      (r) => configs(r).filter((t) => t.includes('/other-ctl/')).length === doorConfigs(1).length + CONTROLLER.length,
    );
    // door-ctl's topics stay (another controller may be door-ctl now); the log says so.
    expect(configs(after).filter((t) => t.includes('/door-ctl/'))).toEqual([...doorConfigs(1), ...CONTROLLER].sort());
    expect(after.get('keypadd/door-ctl/1/state')).toBeDefined();
    expect(d.stderr).toMatch(/not emptying \d+ retained topic\(s\) recorded under another node id/);
    expect(d.stderr).not.toMatch(/emptying \d+ retained topic\(s\) no longer published/);
  });

  it('keeps the last access (a PIN, the exit button, a remote unlock) and the last event across a restart', async () => {
    const { d, consumer } = await setup(DOORS.front);
    await d.start();
    // Before any access, the state says so (HA's sensor then shows unknown, not a text).
    const first = await eventually(
      () => consumer.on('door-ctl/1/state'),
      (m) => m.length > 0,
    );
    expect((JSON.parse(first[0]!.payload) as DoorStateJson).last_access).toBeNull();
    d.key(`${d.demoPin()}#`);
    d.cli.json('sim', 'door', 'open');
    d.cli.json('sim', 'door', 'close');
    const [granted] = events(d).filter((e) => e.event_type === 'access_granted');
    const last = events(d)[0]!; // newest first: door_closed
    expect(last.event_type).toBe('door_closed');
    const live = (await stateNaming(consumer, 1, last.id)).at(-1)!;
    expect(live.last_access).toMatchObject({ event_id: granted!.id, event_type: 'access_granted', person_name: 'Demo Person' });

    await d.stop();
    const seen = consumer.on('door-ctl/1/state').length;
    await d.start();
    const again = await eventually(
      () => consumer.on('door-ctl/1/state').slice(seen),
      (m) => m.length > 0,
    );
    // Every state published after the restart still names them (it used to say null until the next event).
    for (const m of again) {
      const st = JSON.parse(m.payload) as DoorStateJson;
      expect(st.last_event_id).toBe(last.id);
      expect(st.last_access).toEqual(live.last_access);
    }

    // The exit button and a remote unlock are accesses too, and survive a restart as well.
    d.cli.json('sim', 'rex');
    const rex = events(d).find((e) => e.event_type === 'rex')!;
    expect((await stateNaming(consumer, 1, rex.id)).at(-1)!.last_access).toMatchObject({ event_id: rex.id, event_type: 'rex' });
    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"unlock"}');
    const remote = await eventually(
      () => events(d).find((e) => e.event_type === 'remote_unlock'),
      (e) => e !== undefined,
    );
    const afterRemote = (await stateNaming(consumer, 1, events(d)[0]!.id)).at(-1)!;
    expect(afterRemote.last_access).toMatchObject({ event_id: remote!.id, event_type: 'remote_unlock', source: 'mqtt' });
    await d.stop('SIGKILL');
    const killed = consumer.on('door-ctl/1/state').length;
    await d.start();
    const resumed = await eventually(
      () => consumer.on('door-ctl/1/state').slice(killed),
      (m) => m.length > 0,
    );
    expect((JSON.parse(resumed[0]!.payload) as DoorStateJson).last_access).toMatchObject({ event_id: remote!.id, event_type: 'remote_unlock' });
  });
});

describe.skipIf(!HAVE)('Home Assistant with require_code', () => {
  it('opens for the PIN of a person with access now and names them; refuses the rest alike, counting wrong PINs as guesses', async () => {
    const { d, consumer } = await setup(DOORS.front, '{ enabled: true, require_code: true }');
    await d.start();
    const pin = d.demoPin();
    // A visitor (no standing role, no reservation): a right PIN, refused for its access, must answer as a wrong one does.
    const visitor = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Vera', '--last-name', 'Visitor', '--visitor');
    const visitorPin = d.cli.json<{ value: string }>('pin', 'add', '--person', String(visitor.id)).value;
    const lock = await eventually(
      () => consumer.messages.find((m) => m.topic === 'homeassistant/lock/door-ctl/door1/config'),
      (m) => m !== undefined,
    );
    const config = JSON.parse(lock!.payload) as Record<string, string>;
    expect(config.code_format).toBe('^\\d{4,8}$');
    expect(new RegExp(config.code_format!).test(pin)).toBe(true);
    expect(config).toMatchObject({ payload_unlock: 'unlock', payload_lock: 'lock', command_topic: 'keypadd/door-ctl/1/set' });
    expect(config.command_template).toContain('{{ code }}');
    await eventually(
      () => consumer.on('door-ctl/status'),
      (m) => m.length > 0,
    );

    // What HA's command_template renders, without and with a code.
    const results = () =>
      consumer.on('door-ctl/1/set/result').map((m) => JSON.parse(m.payload) as { command: string; accepted: boolean; reason?: string });
    const send = async (json: string) => {
      const n = results().length;
      await consumer.publish('keypadd/door-ctl/1/set', json);
      return (await eventually(results, (r) => r.length > n)).at(-1)!;
    };
    expect(await send('{"command":"unlock"}')).toEqual({
      command: 'unlock',
      accepted: false,
      reason: 'code: required for unlock (mqtt.homeassistant.require_code: true)',
    });
    expect(d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });

    expect(await send(`{"command":"unlock","code":"${pin}"}`)).toEqual({ command: 'unlock', accepted: true });
    expect(d.status().unlock_count).toBe(1);
    const opened = events(d).find((e) => e.event_type === 'remote_unlock')!;
    expect(opened).toMatchObject({ person_name: 'Demo Person', source: 'mqtt' });
    expect(await send('{"command":"lock","code":"1234"}')).toEqual({ command: 'lock', accepted: true }); // HA sends the code with lock too

    const refused = { command: 'unlock', accepted: false, reason: 'code: not accepted' };
    expect(await send(`{"command":"unlock","code":"${visitorPin}"}`)).toEqual(refused);
    expect(d.status().lockout.failures_last_hour).toBe(0); // a right PIN is no guess
    expect(await send('{"command":"unlock","code":"111190"}')).toEqual(refused);
    expect(await send('{"command":"unlock","code":"222290"}')).toEqual(refused);
    expect(d.status().lockout.failures_last_hour).toBe(2);
    // The third wrong PIN locks the keypad out, as at the keypad; then even the right PIN is refused, at the keypad too.
    expect(await send('{"command":"unlock","code":"333390"}')).toEqual({
      ...refused,
      reason: 'code: not accepted (the keypad is locked out after wrong PINs)',
    });
    expect(d.status().lockout.active).toBe(true);
    expect((await send(`{"command":"unlock","code":"${pin}"}`)).accepted).toBe(false);
    expect(d.key(`${pin}#`).relay).toBe('locked');
    expect(d.status().unlock_count).toBe(1);

    const denied = events(d).filter((e) => e.event_type === 'access_denied');
    expect(denied.map((e) => [e.reason, e.source]).reverse()).toEqual([
      ['no_reservation', 'mqtt'],
      ['unknown_credential', 'mqtt'],
      ['unknown_credential', 'mqtt'],
      ['unknown_credential', 'mqtt'],
      ['locked_out', 'mqtt'],
      ['locked_out', null],
    ]);
    expect(events(d).some((e) => e.event_type === 'keypad_locked_out')).toBe(true);
    // As HA's event entity gets them: who and how in their own fields (attributes), never only inside `detail`.
    const published = await eventually(
      () =>
        consumer.on('door-ctl/1/event').map((m) => JSON.parse(m.payload) as Record<string, unknown> & { detail: object | null; event_type: string }),
      (e) => e.filter((x) => x.event_type === 'access_denied').length >= 6,
    );
    expect(published.find((e) => e.event_type === 'remote_unlock')).toMatchObject({
      source: 'mqtt',
      person_name: 'Demo Person',
      credential_type: 'PIN',
    });
    expect(published.find((e) => e.event_type === 'access_denied')).toMatchObject({
      source: 'mqtt',
      reason: 'no_reservation',
      person_name: 'Vera Visitor',
    });
    for (const e of published) {
      expect(DOOR_SCOPED_EVENT_TYPES).toContain(e.event_type); // HA would drop any other (issue: remote_normal was dropped)
      expect(e.detail ?? {}).not.toHaveProperty('source');
      expect(e.detail ?? {}).not.toHaveProperty('reason');
    }
    // No PIN anywhere keypadd writes: its log, its topics (the commands are this test's own), its events.
    const secret = [pin, visitorPin, '111190', '222290', '333390'];
    const everything = consumer.messages.filter((m) => !m.topic.endsWith('/set')).map((m) => m.payload);
    const eventsText = d.cli.run('event', 'list', '--json', '--limit', '1000').stdout;
    for (const p of secret) {
      expect(d.stderr).not.toContain(p);
      for (const m of everything) expect(m).not.toContain(p);
      expect(eventsText).not.toContain(p);
    }
  });
});
