/**
 * Site operations over a real Mosquitto: the door's lockdown commands and the site's, the retained state Home
 * Assistant's new entities read (a lockdown switch per door, one for the site, the auto-unlock sensor), and their
 * discovery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { Consumer } from '../helpers/consumer.js';
import { eventually } from '../helpers/daemon.js';
import { mqttDoor, storedEvents } from '../helpers/mqtt-door.js';

const HAVE = requireTool(['mosquitto'], 'MQTT');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe.skipIf(!HAVE)('site operations over MQTT', () => {
  it('locks a door and the site down by command, publishes it in the retained state, and lets Home Assistant switch it', async () => {
    const { broker, d, consumer, connected } = await mqttDoor(cleanups, '  homeassistant: true\n  commands: true\n');
    const ha = new Consumer(broker.url, ['homeassistant/#']);
    await ha.start();
    cleanups.push(() => ha.stop());
    await d.start();
    await connected();
    const state = () => consumer.on('/1/state').map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    const last = () => state().at(-1) ?? {};
    await eventually(last, (s) => s.lockdown === false && s.auto_unlock === 'off');

    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"lockdown"}');
    await eventually(last, (s) => s.lockdown === true && s.site_lockdown === false);
    expect(d.key(`${d.demoPin()}#`)).toMatchObject({ relay: 'locked', outcomes: [{ reason: 'lockdown' }] });
    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"unlockdown"}');
    await eventually(last, (s) => s.lockdown === false);

    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"site_lockdown"}');
    await eventually(last, (s) => s.lockdown === true && s.site_lockdown === true);
    await consumer.publish('keypadd/door-ctl/1/set', '{"command":"site_unlockdown"}');
    await eventually(last, (s) => s.site_lockdown === false && s.lockdown === false);
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked');

    const e = await eventually(
      () => storedEvents(d) as unknown as { event_type: string; source: string | null }[],
      (x) => x.filter((y) => y.event_type === 'lockdown_ended').length >= 2,
    );
    expect(e.filter((y) => y.event_type === 'lockdown_started').every((y) => y.source === 'mqtt')).toBe(true);

    const config = (t: string) => {
      const m = ha.messages.find((x) => x.topic === t && x.payload !== '');
      return m ? (JSON.parse(m.payload) as Record<string, unknown>) : undefined;
    };
    const door = await eventually(
      () => config('homeassistant/switch/door-ctl/door1_lockdown/config'),
      (c) => c !== undefined,
    );
    expect(door).toMatchObject({
      command_topic: 'keypadd/door-ctl/1/set',
      payload_on: '{"command":"lockdown"}',
      payload_off: '{"command":"unlockdown"}',
      state_topic: 'keypadd/door-ctl/1/state',
    });
    expect(config('homeassistant/switch/door-ctl/site_lockdown/config')).toMatchObject({ payload_on: '{"command":"site_lockdown"}' });
    expect(config('homeassistant/sensor/door-ctl/door1_auto_unlock/config')).toMatchObject({ state_topic: 'keypadd/door-ctl/1/state' });
  }, 60_000);
});
