/**
 * The daemon's typed event bus (zigbee2mqtt's eventBus): what happens at the doors and in storage, for the services
 * that react to it (MQTT's state and status, the log). A listener that throws is logged and never stops the others,
 * nor the emitter: a bug in a service must not reach a door.
 */
import type { EventRow } from '../storage/event-repo.js';
import type { StorageState } from '../storage/event-writer.js';

export interface BusEvents {
  /** What a door shows changed: its relay locked or unlocked, a lockout started or ended. */
  'door.changed': { doorId: number };
  /** An event is durable in the database (in id order). */
  'event.recorded': EventRow;
  /** The credential sync's state moved (a pull started or ended). */
  'sync.changed': undefined;
  /** Storage started or stopped failing. */
  'storage.changed': StorageState;
  /** Whether the wall clock is trusted changed (timesyncd synced; a clock fell below its floor). */
  'clock.changed': { trusted: boolean };
}

type Listener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<keyof BusEvents, Listener<keyof BusEvents>[]>();

  constructor(private readonly onError: (message: string) => void) {}

  /** Returns the unsubscribe function. */
  on<K extends keyof BusEvents>(name: K, listener: Listener<K>): () => void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as Listener<keyof BusEvents>);
    this.listeners.set(name, list);
    return () => list.splice(list.indexOf(listener as Listener<keyof BusEvents>), 1);
  }

  emit<K extends keyof BusEvents>(name: K, payload: BusEvents[K]): void {
    for (const l of [...(this.listeners.get(name) ?? [])]) {
      try {
        l(payload);
      } catch (err) {
        this.onError(`a ${name} listener failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }
}
