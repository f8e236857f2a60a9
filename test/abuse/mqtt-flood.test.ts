/**
 * Command floods against a real Mosquitto and `keypadd run --sim`: with commands off the set topics are not even
 * subscribed, and with commands on, refusals are summed per door per second and accepted commands are rate-limited,
 * so a flood costs the audit trail a few events a second, not one per message.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { eventually } from '../helpers/daemon.js';
import { mqttDoor, storedEvents, type MqttDoor } from '../helpers/mqtt-door.js';

const HAVE = requireTool('mosquitto', 'MQTT abuse');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const FLOOD = 5000;

/** `count` messages on door 1's set topic in one burst (mosquitto_pub -l: one message per line, QoS 0). */
function flood(m: MqttDoor, payload: string, count = FLOOD): void {
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(m.broker.port), '-t', 'keypadd/door-ctl/1/set', '-l'], {
    input: `${payload}\n`.repeat(count),
  });
  expect(r.status).toBe(0);
}

const refusedCount = (events: ReturnType<typeof storedEvents>) =>
  events.filter((e) => e.event_type === 'command_refused').reduce((n, e) => n + ((e.detail?.count as number | undefined) ?? 1), 0);
const count = (events: ReturnType<typeof storedEvents>, type: string) => events.filter((e) => e.event_type === type).length;

/** Waits until `done` holds for the stored events (the summed refusals of a second leave once it is over). */
const stored = (m: MqttDoor, done: (e: ReturnType<typeof storedEvents>) => boolean) => eventually(() => storedEvents(m.d), done, 20_000);

describe.skipIf(!HAVE)('MQTT command floods', () => {
  it('stores nothing for a flood on the set topics while commands are off', async () => {
    const m = await mqttDoor(cleanups);
    await m.d.start();
    await m.connected();
    flood(m, '{"command":"unlock"}');
    // Nothing to wait for when nothing happens: a wrong PIN after the flood, then a second to see nothing else come.
    m.d.key('111190#');
    const events = await stored(m, (e) => count(e, 'access_denied') > 0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(count(storedEvents(m.d), 'command_refused')).toBe(0);
    expect(events.map((e) => e.event_type)).toEqual(['access_denied']);
    expect(m.d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
  });

  it('sums a flood of bad commands into a few command_refused events with the count, and answers only a few', async () => {
    const m = await mqttDoor(cleanups, '  commands: true\n');
    await m.d.start();
    await m.connected();
    flood(m, 'not json');
    const events = await stored(m, (e) => refusedCount(e) >= FLOOD);
    const refused = events.filter((e) => e.event_type === 'command_refused');
    expect(refusedCount(events)).toBe(FLOOD);
    expect(refused.length).toBeLessThanOrEqual(10);
    expect(refused[0]!.detail).toMatchObject({ reasons: { 'payload: not valid JSON (send {"command":"unlock"})': expect.any(Number) } });
    expect(m.consumer.on('/1/set/result').length).toBeLessThan(200);
  }, 60_000);

  it('lets at most 5 commands a second through to a door, and sums the rest as refused', async () => {
    const m = await mqttDoor(cleanups, '  commands: true\n');
    await m.d.start();
    await m.connected();
    flood(m, '{"command":"lock"}', 1000);
    const events = await stored(m, (e) => count(e, 'remote_lock') + refusedCount(e) >= 1000);
    const locks = count(events, 'remote_lock');
    const refused = events.filter((e) => e.event_type === 'command_refused');
    expect(locks).toBeGreaterThan(0);
    expect(locks).toBeLessThanOrEqual(5 * 10);
    expect(locks + refusedCount(events)).toBe(1000);
    expect(refused.every((e) => e.reason === 'rate: more than 5 commands a second for this door')).toBe(true);
  }, 60_000);
});
