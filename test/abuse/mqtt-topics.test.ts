/**
 * Poisoned topics against a real Mosquitto and `keypadd run --sim`: a door id that parses to 1e21, a retained
 * unlock, a client that takes keypadd's client id, and a forged retained state. Each must leave events flowing,
 * the door locked, and the truth on the state topic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { Consumer } from '../helpers/consumer.js';
import { eventually } from '../helpers/daemon.js';
import { mqttDoor } from '../helpers/mqtt-door.js';
import mqtt from 'mqtt';

const HAVE = requireTool('mosquitto', 'MQTT abuse');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const wrongPin = (n: number) => `${String(400_000 + n)}#`;

describe.skipIf(!HAVE)('MQTT topics under attack', () => {
  it('keeps publishing after one publish on .../1000000000000000000000/set (no 1e+21 topic, no dropped client)', async () => {
    const { d, consumer, connected } = await mqttDoor(cleanups, '  commands: true\n');
    await d.start();
    await connected();
    await consumer.publish('keypadd/door-ctl/1000000000000000000000/set', '{"command":"unlock"}');
    await consumer.publish('keypadd/door-ctl/01/set', '{"command":"unlock"}');
    d.key(wrongPin(1));
    const events = await eventually(
      () => consumer.on('/1/event'),
      (m) => m.length > 0,
      10_000,
    );
    expect(events.length).toBeGreaterThan(0);
    expect(consumer.messages.some((m) => m.topic.includes('+') || m.topic.includes('e+21'))).toBe(false);
    expect(d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
    expect(d.stderr).not.toContain('disconnected from');
  });

  it('ignores a retained unlock on the set topic, at start and at every reconnect, and says so', async () => {
    const { broker, d, consumer, connected } = await mqttDoor(cleanups, '  commands: true\n');
    await new Promise<void>((resolve, reject) => {
      const c = mqtt.connect(broker.url, { protocolVersion: 4 });
      c.on('connect', () =>
        c.publish('keypadd/door-ctl/1/set', '{"command":"unlock"}', { qos: 1, retain: true }, (err) => (c.end(), err ? reject(err) : resolve())),
      );
    });
    await d.start();
    await connected();
    await eventually(
      () => d.stderr,
      (s) => s.includes('retained'),
      10_000,
    );
    expect(d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
    await broker.stop();
    await broker.start();
    await eventually(
      () => d.stderr.split('connected to').length,
      (n) => n >= 3,
      15_000,
    );
    d.key(wrongPin(2));
    await eventually(
      () => consumer.events().filter((e) => e.event_type === 'access_denied'),
      (e) => e.length > 0,
      10_000,
    );
    expect(d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
    expect(d.stderr).toMatch(/door 1: a command from mqtt refused: retained: a command must not be retained/);
  }, 60_000);

  it('is not knocked off the broker by a client that takes the predictable client id keypadd-<node>', async () => {
    const { broker, d, consumer, connected } = await mqttDoor(cleanups);
    await d.start();
    await connected();
    const taker = new Consumer(broker.url, ['nothing/here'], { clientId: 'keypadd-door-ctl', reconnectPeriod: 0, clean: true });
    await taker.start();
    cleanups.push(() => taker.stop());
    d.key(wrongPin(3));
    await eventually(
      () => consumer.on('/1/event'),
      (m) => m.length > 0,
      10_000,
    );
    expect(d.stderr).not.toContain('disconnected from');
    expect(d.stderr).toMatch(/connected to mqtt:\/\//);
  });

  it('publishes the real state again at once when someone forges the retained state topic', async () => {
    const { broker, d, consumer, connected } = await mqttDoor(cleanups);
    await d.start();
    await connected();
    await eventually(
      () => consumer.on('/1/state'),
      (m) => m.length > 0,
    );
    const forged = '{"lock":"unlocked","door":"open","lockout":{"active":false,"until":null},"last_event_id":null,"last_access":null}';
    await new Promise<void>((resolve, reject) => {
      const c = mqtt.connect(broker.url, { protocolVersion: 4 });
      c.on('connect', () =>
        c.publish('keypadd/door-ctl/1/state', forged, { qos: 1, retain: true }, (err) => (c.end(), err ? reject(err) : resolve())),
      );
    });
    const after = (m: { payload: string }[]) => m.slice(m.findIndex((x) => x.payload === forged) + 1);
    const real = await eventually(
      () => consumer.on('/1/state'),
      (m) => m.some((x) => x.payload === forged) && after(m).length > 0,
      10_000,
    );
    expect(JSON.parse(after(real)[0]!.payload)).toMatchObject({ lock: 'locked', door: 'closed' });
    // A consumer arriving later is given the truth, not the forgery.
    const late = new Consumer(broker.url, ['keypadd/door-ctl/1/state']);
    await late.start();
    cleanups.push(() => late.stop());
    const state = await eventually(
      () => late.on('/1/state'),
      (m) => m.length > 0,
    );
    expect(JSON.parse(state.at(-1)!.payload)).toMatchObject({ lock: 'locked', door: 'closed' });
    expect(d.stderr).toContain('someone else wrote its retained state topic');
  });

  it('republishes the retained state periodically even when nothing changes', async () => {
    const { d, consumer, connected } = await mqttDoor(cleanups);
    d.cli.extraEnv = { KEYPADD_TEST_STATE_REFRESH_MS: '300' };
    await d.start();
    await connected();
    const states = await eventually(
      () => consumer.on('/1/state'),
      (m) => m.length >= 4,
      10_000,
    );
    expect(states.length).toBeGreaterThanOrEqual(4);
    expect(new Set(states.map((m) => m.payload)).size).toBe(1);
  });
});
