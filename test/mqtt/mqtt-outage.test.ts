/**
 * Losing nothing: the event table is the outbox, so broker outages, broker flapping and a daemon killed with
 * SIGKILL while the broker is down all end with every stored event delivered, in per-door sequence order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Broker, requireTool } from '../helpers/broker.js';
import { Consumer } from '../helpers/consumer.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const HAVE = requireTool('mosquitto', 'MQTT');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

// Wrong PINs make the events: each is one access_denied, locked out or not (the lockout adds its own events).
const TWO_DOORS = `doors: [{ id: 1, name: Front }, { id: 2, name: Back }]
`;

async function setup(extra = '', topics = ['keypadd/n1/+/event']): Promise<{ broker: Broker; d: SimDaemon; consumer: Consumer }> {
  const broker = new Broker();
  await broker.start();
  cleanups.push(() => broker.dispose());
  const d = simDoor(`${TWO_DOORS}${extra}mqtt:\n  url: ${broker.url}\n  node_id: n1\n  reconnect_max_s: 1\n`, cleanups as (() => void)[]);
  const consumer = new Consumer(broker.url, topics, { clientId: 'outage-consumer' });
  await consumer.start();
  cleanups.push(() => consumer.stop());
  return { broker, d, consumer };
}

/** `count` wrong PINs on a door, in one request. */
function wrongPins(d: SimDaemon, door: number, count: number, from: number): void {
  d.cli.json('sim', 'key', '--door', String(door), Array.from({ length: count }, (_, i) => `${String(from + i).padStart(6, '0')}#`).join(''));
}

const stored = (d: SimDaemon) => d.cli.json<{ events: { id: number; event_type: string }[] }>('event', 'list', '--limit', '1000000').events;
const storedIds = (d: SimDaemon) => stored(d).map((e) => e.id);
const denials = (d: SimDaemon) => stored(d).filter((e) => e.event_type === 'access_denied');

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Every stored event arrived, and each door's events arrived in sequence order with no gap. */
async function expectAllDelivered(d: SimDaemon, consumer: Consumer, timeoutMs: number): Promise<void> {
  const expected = storedIds(d).sort((a, b) => a - b);
  const got = await eventually(
    () => consumer.events(),
    (e) => e.length >= expected.length,
    timeoutMs,
  );
  expect(got.map((e) => e.id).sort((a, b) => a - b)).toEqual(expected);
  for (const door of [1, 2]) {
    const seqs = got.filter((e) => e.channel_id === door).map((e) => e.door_seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  }
}

describe.skipIf(!HAVE)('MQTT delivery through outages', () => {
  it('broker killed during a stream of 1,000 events and restarted 10 s later: every event delivered, in order', async () => {
    const { broker, d, consumer } = await setup();
    await d.start();
    await new Promise((r) => setTimeout(r, 1200)); // the consumer's session is saved (autosave 1 s)
    for (let batch = 0; batch < 10; batch++) {
      if (batch === 3) await broker.stop();
      wrongPins(d, (batch % 2) + 1, 100, batch * 100);
    }
    expect(denials(d)).toHaveLength(1000);
    await new Promise((r) => setTimeout(r, 10_000));
    await broker.start();
    await expectAllDelivered(d, consumer, 20_000);
  }, 60_000);

  it('daemon killed with SIGKILL while the broker is down, both restarted: every event delivered', async () => {
    const { broker, d, consumer } = await setup();
    await d.start();
    await new Promise((r) => setTimeout(r, 1200));
    wrongPins(d, 1, 50, 0);
    await eventually(
      () => consumer.events(),
      (e) => e.length >= 50,
    );
    await broker.stop();
    wrongPins(d, 1, 150, 100);
    wrongPins(d, 2, 150, 300);
    // Stored (the daemon has none left to store), never published; then the power cut.
    await eventually(
      () => d.cli.json<{ event_backlog: number }>('status').event_backlog,
      (n) => n === 0,
    );
    await d.stop('SIGKILL');
    // All 350 wrong PINs sent before the kill are stored (with the lockout and alarm events they raised), ids 1 to
    // the last with no gap: the first 50 published, the rest not.
    expect(denials(d)).toHaveLength(350);
    const before = storedIds(d).sort((a, b) => a - b);
    expect(before).toEqual(ids(before.length));
    await broker.start();
    await d.start();
    await expectAllDelivered(d, consumer, 20_000);
    expect(
      consumer
        .events()
        .map((e) => e.id)
        .sort((a, b) => a - b)
        .slice(0, before.length),
    ).toEqual(before);
  }, 60_000);

  it('broker flapping (down and up every 2 s) during a 5,000-event replay: none lost', async () => {
    const { broker, d, consumer } = await setup();
    await new Promise((r) => setTimeout(r, 1200));
    await broker.stop();
    await d.start(); // with no broker: it runs, and keeps trying
    for (let i = 0; i < 5; i++) wrongPins(d, (i % 2) + 1, 1000, i * 1000);
    expect(denials(d)).toHaveLength(5000);
    const expected = storedIds(d).length;
    // Take the broker down in the middle of the replay, as soon as the first events arrive...
    await broker.start();
    while (consumer.events().length === 0) await new Promise((r) => setTimeout(r, 2));
    await broker.stop();
    const deliveredBeforeFirstOutage = consumer.events().length;
    expect(deliveredBeforeFirstOutage).toBeLessThan(expected);
    // ...then keep it flapping: 2 s down, 2 s up, until everything is through.
    const end = Date.now() + 60_000;
    let ups = 0;
    while (consumer.events().length < expected && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 2000));
      await broker.start();
      ups++;
      await new Promise((r) => setTimeout(r, 2000));
      if (consumer.events().length >= expected) break;
      await broker.stop();
    }
    await broker.start();
    await expectAllDelivered(d, consumer, 20_000);
    expect(ups).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('raises outbox_backlog_alarm once past events.backlog_alarm while the broker is away, and publishes it when it is back', async () => {
    const { broker, d, consumer } = await setup('events: { backlog_alarm: 100 }\n', ['keypadd/n1/+/event', 'keypadd/n1/event']);
    await new Promise((r) => setTimeout(r, 1200)); // the consumer's session is saved (autosave 1 s)
    await broker.stop();
    await d.start();
    wrongPins(d, 1, 150, 0);
    type Stored = { id: number; event_type: string; event_label: string; detail: { backlog: number } | null };
    const alarms = () =>
      d.cli.json<{ events: Stored[] }>('event', 'list', '--limit', '1000').events.filter((e) => e.event_type === 'outbox_backlog_alarm');
    // The backlog is checked with each status (every 10 s while the broker is away).
    const [alarm] = await eventually(alarms, (a) => a.length > 0, 15_000);
    // 150 wrong PINs, with the lockout and alarm events they raised.
    const waiting = storedIds(d).length - 1;
    expect(alarm).toMatchObject({ event_label: `${alarm!.detail!.backlog} events waiting to be published over MQTT` });
    expect(alarm!.detail!.backlog).toBeGreaterThanOrEqual(150);
    expect(alarm!.detail!.backlog).toBeLessThanOrEqual(waiting);
    await eventually(
      () => d.stderr,
      (e) => /error keypadd: \d+ events are waiting to be published \(alarm at 100\); none will be pruned/.test(e),
    );
    // Back: the status at connect still sees the backlog over the mark, and raises no second alarm; then all goes out.
    await broker.start();
    const controller = await eventually(
      () => consumer.on('keypadd/n1/event'),
      (m) => m.length > 0,
      20_000,
    );
    expect(JSON.parse(controller[0]!.payload)).toMatchObject({ id: alarm!.id, event_type: 'outbox_backlog_alarm', event_code: 60 });
    await eventually(
      () => consumer.events(),
      (e) => e.length >= waiting + 1,
      20_000,
    );
    expect(alarms()).toHaveLength(1);
  }, 60_000);
});
