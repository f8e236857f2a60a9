/** An MQTT consumer for tests: a persistent session (clean: false, QoS 1) that collects what arrives. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

export class Consumer {
  readonly messages: Received[] = [];
  private client?: MqttClient;

  constructor(
    private readonly url: string,
    private readonly topics: string[],
    private readonly options: IClientOptions = {},
  ) {}

  async start(): Promise<void> {
    const client = mqtt.connect(this.url, {
      clientId: `test-consumer-${Math.random().toString(36).slice(2)}`,
      clean: false,
      reconnectPeriod: 200,
      protocolVersion: 4,
      ...this.options,
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => this.messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => client.subscribe(this.topics, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    });
  }

  publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) => this.client!.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  }

  on(topicSuffix: string): Received[] {
    return this.messages.filter((m) => m.topic.endsWith(topicSuffix));
  }

  /** Event payloads received, parsed, first occurrence of each id only (duplicates are allowed after a crash). */
  events(): { id: number; door_seq: number; channel_id: number; event_type: string }[] {
    const seen = new Set<number>();
    const out = [];
    for (const m of this.messages) {
      if (!m.topic.endsWith('/event')) continue;
      const e = JSON.parse(m.payload) as { id: number; door_seq: number; channel_id: number; event_type: string };
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      out.push(e);
    }
    return out;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.client ? this.client.end(true, {}, () => resolve()) : resolve()));
  }
}
