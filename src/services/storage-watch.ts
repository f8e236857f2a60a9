/**
 * Storage's alarms and housekeeping while the daemon runs: an alarm event when the disk reserve was freed, when the
 * spool takes over, or when more is due for pruning than one run may take; retention pruning hourly, only with a
 * trusted clock; and, while deciding from a copy of the database in memory, trying the real file every 5 s.
 */
import type { Config } from '../config/schema.js';
import type { Clock } from '../drivers/clock.js';
import type { Logger } from '../log.js';
import type { EventWriter } from '../storage/event-writer.js';
import { newEvent, now } from '../storage/new-event.js';
import type { OpenedStorage } from '../storage/open-storage.js';
import { openStore, type Store } from '../storage/store.js';
import type { EventBus } from './bus.js';
import type { Service } from './service.js';

export interface StorageWatchDeps {
  config: Config;
  env: NodeJS.ProcessEnv;
  writer: EventWriter;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  opened: OpenedStorage;
  /** The real file opens again after a copy in memory was used: decide from it. */
  reopened: (store: Store) => void;
}

type StorageAlarm = 'disk_full' | 'events_spooled' | 'events_prune_limited';

export class StorageWatch implements Service {
  readonly name = 'storage watch';
  private pruneTimer?: NodeJS.Timeout;
  private reopenTimer?: NodeJS.Timeout;
  private lastPruneAlarm = -Infinity;
  /** Set when the daemon decides from a copy in memory, or read-only: why, plainly. */
  degraded: string | null;

  constructor(private readonly deps: StorageWatchDeps) {
    this.degraded = deps.opened.reason;
  }

  start(): void {
    const { writer, opened, bus } = this.deps;
    const freed = (bytes: number) =>
      this.alarm('disk_full', `The disk is full: freed the ${Math.round(bytes / 1024)} KiB reserve so that events can be stored; free some space`, {
        reserve_bytes: bytes,
      });
    if (opened.reserveFreed > 0) freed(opened.reserveFreed);
    writer.reserveReleased = freed;
    writer.onStorage((s) => {
      if (s.failingSince !== null)
        this.alarm('events_spooled', `Events cannot be stored (${s.reason}): they are kept in the spool until they can`, { reason: s.reason });
      bus.emit('storage.changed', s);
    });
    if (opened.reason)
      this.alarm('events_spooled', `Events cannot be stored (${opened.reason}): they are kept in the spool until they can`, {
        reason: opened.reason,
      });
    writer.pruneLimited = (due, pruned) => {
      if (Date.now() - this.lastPruneAlarm < 86_400_000) return;
      this.lastPruneAlarm = Date.now();
      this.alarm(
        'events_prune_limited',
        `${due} events are past the retention period, more than one run may prune (${pruned} pruned): check the clock, or the retention change`,
        { due, pruned },
      );
    };
    this.schedulePrune();
    if (opened.mode === 'snapshot') this.reopenWhenPossible();
  }

  stop(): void {
    clearTimeout(this.pruneTimer);
    clearTimeout(this.reopenTimer);
  }

  private alarm(type: StorageAlarm, label: string, detail: Record<string, unknown>): void {
    this.deps.writer.record(newEvent(type, { door_id: null, event_label: label, detail }, now(this.deps.clock.trusted())));
  }

  /** 10 s after start and then hourly, only while the clock is trusted (tests shorten both). */
  private schedulePrune(): void {
    const test = Number(this.deps.env.KEYPADD_TEST_PRUNE_MS);
    const every = Number.isFinite(test) && test > 0 ? test : 3_600_000;
    const run = (delayMs: number) => {
      this.pruneTimer = setTimeout(() => {
        if (this.deps.clock.trusted()) this.deps.writer.prune(this.deps.clock.wallMs());
        run(every);
      }, delayMs);
      this.pruneTimer.unref();
    };
    run(Math.min(10_000, every));
  }

  private reopenWhenPossible(): void {
    const { config, env, log } = this.deps;
    this.reopenTimer = setTimeout(() => {
      try {
        const store = openStore(config.data_dir, env, config.pin_key_file, { alreadyChecked: true });
        this.degraded = null;
        this.deps.reopened(store);
        log.warn('the database opens again: deciding from it, no longer from the copy in memory');
      } catch {
        this.reopenWhenPossible();
      }
    }, 5000);
    this.reopenTimer.unref();
  }
}
