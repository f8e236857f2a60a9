/**
 * The retained topics of one connection, in the publisher worker: availability (the controller's and each door's),
 * Home Assistant discovery, and the emptying of every retained topic an earlier run published that this one does not
 * (a door removed from the config, a changed discovery prefix, Home Assistant switched off), so that a
 * removed door leaves Home Assistant instead of staying there, available and `locked`, refusing every unlock.
 *
 * What was published is recorded in the database (storage/retained-record.ts) before it is published, and a topic
 * leaves the record only once the broker has acknowledged its emptying: a crash in between empties it again at the
 * next start. Without the database (a full disk, a read-only card), nothing is emptied until it opens.
 */
import type { Db } from '../storage/database.js';
import { RetainedRecord } from '../storage/retained-record.js';
import { discoveryMessages, type DiscoveryInput } from './discovery.js';

export interface RetainedDeps {
  /** The doors and topics; its discovery is published only with `homeassistant`. */
  discovery: DiscoveryInput;
  homeassistant: boolean;
  publish(topic: string, payload: string, opts: { qos: 1; retain: true }, done?: (err?: Error) => void): void;
  /** The worker's database connection, when it is open. */
  db: () => Db | null;
  readonly: boolean;
  log: (level: 'warn' | 'info', message: string) => void;
}

export class RetainedTopics {
  /** One emptying per connection: callbacks of a closed one may never fire (mqttjs #1974). */
  private generation = 0;

  constructor(private readonly deps: RetainedDeps) {}

  /** Every retained topic this run keeps: the record's new content. */
  current(): string[] {
    const { topics: t, doors } = this.deps.discovery;
    const discovered = this.deps.homeassistant ? discoveryMessages(this.deps.discovery).filter((m) => m.payload !== null) : [];
    return [t.availability, t.status, ...doors.flatMap((d) => [t.state(d.id), t.doorAvailability(d.id)]), ...discovered.map((m) => m.topic)];
  }

  /** On connect: each door online, the discovery (when Home Assistant is on), then what is stale emptied. */
  announce(): void {
    const input = this.deps.discovery;
    for (const door of input.doors) this.deps.publish(input.topics.doorAvailability(door.id), 'online', { qos: 1, retain: true });
    if (this.deps.homeassistant) this.publishDiscovery();
    this.emptyStale(++this.generation);
  }

  /** Home Assistant came online: its configs again (they are retained, but HA may have lost them). */
  publishDiscovery(): void {
    const input = this.deps.discovery;
    for (const m of discoveryMessages(input))
      this.deps.publish(m.topic, m.payload === null ? '' : JSON.stringify(m.payload), { qos: 1, retain: true });
  }

  /** A clean stop: each door offline too (the controller's own offline, and its last will, cover HA anyway). */
  offline(): void {
    const input = this.deps.discovery;
    for (const door of input.doors) this.deps.publish(input.topics.doorAvailability(door.id), 'offline', { qos: 1, retain: true });
  }

  private emptyStale(generation: number): void {
    const db = this.deps.db();
    if (!db) return;
    const record = new RetainedRecord(db);
    const current = this.current();
    let stale: string[];
    try {
      const keep = new Set(current);
      const others = record.topics().filter((t) => !keep.has(t));
      // A database restored onto another controller carries that one's record: never empty a live neighbour's topics.
      const node = this.deps.discovery.node;
      stale = others.filter((t) => t.split('/').includes(node));
      const foreign = others.filter((t) => !stale.includes(t));
      if (foreign.length > 0) {
        this.deps.log(
          'warn',
          `not emptying ${foreign.length} retained topic(s) recorded under another node id (remove them by hand if they are stale): ${foreign.join(', ')}`,
        );
      }
      // Recorded before anything is published: a crash after publishing leaves nothing unrecorded.
      if (!this.deps.readonly) record.save([...current, ...stale]); // the foreign ones: warned about once, then forgotten
    } catch (err) {
      this.deps.log('warn', `cannot read or save the retained topics (${(err as Error).message}); stale ones are emptied at the next connect`);
      return;
    }
    if (stale.length === 0) return;
    this.deps.log('info', `emptying ${stale.length} retained topic(s) no longer published (a removed door, Home Assistant off): ${stale.join(', ')}`);
    let left = stale.length;
    let failed = false;
    for (const topic of stale) {
      this.deps.publish(topic, '', { qos: 1, retain: true }, (err) => {
        failed ||= Boolean(err);
        if (--left > 0 || failed || this.deps.readonly || generation !== this.generation) return;
        try {
          record.save(this.current());
        } catch (e) {
          this.deps.log('warn', `cannot save the retained topics (${(e as Error).message}); stale ones are emptied again at the next connect`);
        }
      });
    }
  }
}
