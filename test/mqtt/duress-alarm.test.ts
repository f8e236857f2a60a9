/**
 * A duress entry raises its alarm everywhere an alarm goes, at once, while the door behaves as for any grant: a real
 * Mosquitto gets the `duress` event on the door's event topic, a real webhook receiver gets it through a rule for
 * code 97, and neither ever carries the PIN or its duress form.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { eventually } from '../helpers/daemon.js';
import { mqttDoor } from '../helpers/mqtt-door.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const HAVE = requireTool(['mosquitto'], 'duress over MQTT');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const duressOf = (pin: string) => pin.slice(0, -1) + String((Number(pin.at(-1)) + 1) % 10);

describe.skipIf(!HAVE)('a duress entry', () => {
  it('opens the door as a grant does and sends the duress alarm over MQTT and a webhook, without the PIN', async () => {
    const receiver = new WebhookReceiver();
    await receiver.start();
    cleanups.push(() => receiver.stop());
    const { d, consumer, connected } = await mqttDoor(cleanups, '', {}, 'pin_policy: { duress: last_digit_plus_one }\n');
    await d.start();
    await connected();
    d.cli.json('webhook', 'add', '--name', 'duress', '--url', receiver.url, '--event', '97');
    const pin = d.demoPin();

    const entered = d.key(`${duressOf(pin)}#`);
    expect(entered).toMatchObject({ relay: 'unlocked', outcomes: [expect.objectContaining({ granted: true, person_name: expect.any(String) })] });

    const published = await eventually(
      () => consumer.events(),
      (e) => e.some((x) => x.event_type === 'duress'),
      10_000,
    );
    // The alarm goes first (it is written before the grant), then the door's ordinary grant, on the same door's topic.
    expect(published.filter((e) => e.channel_id === 1).map((e) => e.event_type)).toEqual(['duress', 'access_granted']);
    const alarm = consumer.on('/1/event').find((m) => m.payload.includes('"duress"'))!;
    expect(alarm.topic).toBe('keypadd/door-ctl/1/event');
    expect(JSON.parse(alarm.payload)).toMatchObject({ event_type: 'duress', channel_id: 1, person_id: 1 });

    const hooked = await eventually(
      () => receiver.received,
      (r) => r.length > 0,
      10_000,
    );
    expect(hooked.map((r) => r.body.event_type as string)).toEqual(['duress']);
    expect(hooked[0]!.body).toMatchObject({ event_code: 97, person_id: 1 });

    const everything = consumer.messages.map((m) => m.payload).join('\n') + receiver.received.map((r) => r.raw).join('\n');
    expect(everything).not.toContain(pin);
    expect(everything).not.toContain(duressOf(pin));
  });
});
