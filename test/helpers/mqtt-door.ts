/** A real Mosquitto, a `keypadd run --sim` publishing to it, and a consumer of every keypadd topic. */
import { Broker, type BrokerOptions } from './broker.js';
import { Consumer } from './consumer.js';
import { eventually, simDoor, type SimDaemon } from './daemon.js';

export interface MqttDoor {
  broker: Broker;
  d: SimDaemon;
  consumer: Consumer;
  /** Resolves once the daemon has subscribed (it publishes its status after subscribing, on the same connection). */
  connected: () => Promise<unknown>;
}

/** `mqttExtra` is more of the daemon's `mqtt:` mapping, indented by two spaces. */
export async function mqttDoor(cleanups: (() => void | Promise<void>)[], mqttExtra = '', opts: BrokerOptions = {}, yaml = ''): Promise<MqttDoor> {
  const broker = new Broker(opts);
  await broker.start();
  cleanups.push(() => broker.dispose());
  const d = simDoor(`${yaml}mqtt:\n  url: ${broker.url}\n  node_id: door-ctl\n  reconnect_max_s: 1\n${mqttExtra}`, cleanups as (() => void)[]);
  const consumer = new Consumer(broker.url, ['keypadd/#'], opts.allowAnonymous === false ? { username: 'watcher', password: 'watcher-pw' } : {});
  if (opts.allowAnonymous !== false) {
    await consumer.start();
    cleanups.push(() => consumer.stop());
  }
  const connected = () =>
    eventually(
      () => consumer.on('/status'),
      (m) => m.length > 0,
      10_000,
    );
  return { broker, d, consumer, connected };
}

/** Events stored by the daemon, newest first, as `keypadd event list --json` gives them. */
export function storedEvents(d: SimDaemon): { id: number; event_type: string; reason: string | null; detail: Record<string, unknown> | null }[] {
  return d.cli.json<{ events: { id: number; event_type: string; reason: string | null; detail: Record<string, unknown> | null }[] }>(
    'event',
    'list',
    '--limit',
    '1000000',
  ).events;
}
