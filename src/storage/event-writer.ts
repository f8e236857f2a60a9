/**
 * The daemon's side of event storage. record() returns at once (a postMessage); the event counts as recorded when
 * the worker reports it committed, normally within one fsync, or spooled when the database will not take it. Until
 * then it is kept here, and sent again if the worker dies. At stop, whatever neither the worker stored nor spooled is
 * spooled from here, so nothing is lost short of the process dying outright (then at most the moment's events are).
 */
import { SupervisedWorker } from '../worker-threads.js';
import type { PersistedLockout } from '../core/lockout.js';
import type { Logger } from '../log.js';
import type { EventRow, NewEvent } from './event-repo.js';
import type { PersistedDoorMode } from './door-mode-repo.js';
import type { FromWorker, ToWorker, WriterData } from './event-writer-protocol.js';
import { SpoolFile } from './spool.js';

// The compiled worker; this path works from src/ (tests) and dist/ alike, as both sit at the package root.
const WORKER = new URL('../../dist/storage/event-writer-worker.js', import.meta.url);

/** Events held in memory while neither the database nor the spool takes them; beyond, new ones are dropped. */
const MAX_PENDING = 100_000;
/** What the worker gets at stop to store the rest; whatever it cannot is spooled. */
const CLOSE_BUDGET_MS = 3500;

export interface EventSink {
  /** Hands an event over to be stored; returns at once. */
  record(event: NewEvent): void;
  /** Hands over the lockout state of a keypad or reader (see storage/lockout-repo for the key); returns at once. */
  saveLockout(key: number, state: PersistedLockout, now: string): void;
  /**
   * Hands over a door's mode (key 0: the site's); returns at once. Stored in the order sent, with the events; while the
   * database refuses writes it is not spooled (its event is); a restarted worker is sent the last mode of each key.
   */
  saveDoorMode(key: number, mode: PersistedDoorMode, now: string): void;
  /**
   * Resolves true once everything handed over so far is durable (stored, or spooled where a restart finds it), or
   * false as soon as neither takes it (a door must not wait on a disk that refuses writes). The door waits on this
   * before it shows a wrong guess's result, so that a crash right after cannot give the guesser fresh tries.
   */
  whenStored(): Promise<boolean>;
}

/** What the writer reports about storage, for status, the watchdog and MQTT. */
export interface StorageState {
  /** Since when (ms epoch) the database has refused writes; null while it takes them. */
  failingSince: number | null;
  /** Why, plainly ("the disk is full", "the data dir is on a read-only file system"). */
  reason: string | null;
  lastError: string | null;
  /** Events in the spool, waiting for the database. */
  spooled: number;
  /** Since when neither the database nor the spool takes events (they wait in memory); null otherwise. */
  losingSince: number | null;
  /**
   * Since when another connection has held the write lock (a sync's apply), not yet long enough to count as failing:
   * events go to the spool meanwhile. Null otherwise.
   */
  busySince: number | null;
}

export class EventWriter implements EventSink {
  private readonly worker: SupervisedWorker<ToWorker, FromWorker>;
  private nextRef = 1;
  private nextToken = 1;
  private readonly pending = new Map<number, NewEvent>();
  private readonly lockouts = new Map<number, { state: PersistedLockout; now: string }>();
  /** The last mode sent per door, sent again to a restarted worker. */
  private readonly modes = new Map<number, { mode: PersistedDoorMode; now: string }>();
  private readonly flushes = new Map<number, () => void>();
  private readonly storedWaiters = new Map<number, (stored: boolean) => void>();
  private readonly listeners: ((row: EventRow) => void)[] = [];
  private readonly storageListeners: ((s: StorageState) => void)[] = [];
  /** Stored events (and flush replies) waiting for the listeners, in order. */
  private readonly notify: (EventRow | (() => void))[] = [];
  private draining = false;
  private drainScheduled = false;
  private closed: ((m: Extract<FromWorker, { type: 'closed' }>) => void) | null = null;
  readonly storage: StorageState = { failingSince: null, reason: null, lastError: null, spooled: 0, losingSince: null, busySince: null };
  /** Commit failures reported by the worker. */
  errors = 0;
  /** Events dropped because too many were waiting in memory for storage that would take none. */
  droppedInMemory = 0;
  /** Messages the worker could not store at all (counted and logged; a bug if ever non-zero). */
  rejected = 0;
  recorded = 0;

  constructor(
    private readonly data: WriterData,
    private readonly log: Logger,
  ) {
    this.worker = new SupervisedWorker({
      url: WORKER,
      name: 'event writer',
      workerData: data,
      onMessage: (m: FromWorker) => this.onMessage(m),
      log,
      restartMs: 500,
      isReady: (m) => m.type === 'ready',
      // Anything recorded before the worker was up (or while a dead one was being replaced) goes now, in order.
      // Events carry a uid, so one that a dead worker committed but did not acknowledge is not stored twice.
      onReady: () => this.resend(),
      exitNote: () => `with ${this.pending.size} events still to store`,
    });
  }

  /** Since when the database has refused writes (for the watchdog and status), or null. */
  get failingSince(): number | null {
    return this.storage.failingSince;
  }

  start(): Promise<void> {
    return this.worker.start();
  }

  private resend(): void {
    for (const [ref, event] of this.pending) this.post({ type: 'event', ref, event });
    for (const [doorId, l] of this.lockouts) this.post({ type: 'lockout', doorId, ...l });
    for (const [key, m] of this.modes) this.post({ type: 'door_mode', key, ...m });
    for (const token of [...this.flushes.keys(), ...this.storedWaiters.keys()]) this.post({ type: 'flush', token });
  }

  /** Called when an event is durable in the database, with its id and per-door sequence number. */
  onRecorded(listener: (row: EventRow) => void): void {
    this.listeners.push(listener);
  }

  /** Called when storage starts or stops failing. */
  onStorage(listener: (s: StorageState) => void): void {
    this.storageListeners.push(listener);
  }

  get backlog(): number {
    return this.pending.size;
  }

  record(event: NewEvent): void {
    if (this.pending.size >= MAX_PENDING) {
      // Neither the database nor the spool takes events, for a long time: keep the oldest (they are in order) and count.
      if (this.droppedInMemory++ % 1000 === 0)
        this.log.error(`${this.pending.size} events wait in memory; dropping new ones (${this.droppedInMemory} so far)`);
      return;
    }
    const ref = this.nextRef++;
    this.pending.set(ref, event);
    this.post({ type: 'event', ref, event });
  }

  saveLockout(key: number, state: PersistedLockout, now: string): void {
    this.lockouts.set(key, { state, now });
    this.post({ type: 'lockout', doorId: key, state, now });
  }

  saveDoorMode(key: number, mode: PersistedDoorMode, now: string): void {
    this.modes.set(key, { mode, now });
    this.post({ type: 'door_mode', key, mode, now });
  }

  whenStored(): Promise<boolean> {
    if (this.storage.losingSince !== null) return Promise.resolve(false);
    const token = this.nextToken++;
    return new Promise((resolve) => {
      this.storedWaiters.set(token, resolve);
      this.post({ type: 'flush', token });
    });
  }

  /** Resolves once everything recorded so far is durable and the listeners have seen it. */
  flush(): Promise<void> {
    const token = this.nextToken++;
    return new Promise((resolve) => {
      this.flushes.set(token, resolve);
      this.post({ type: 'flush', token });
    });
  }

  /** Prunes past the retention at a time the caller trusts (never call it with an untrusted clock). */
  prune(nowMs: number): void {
    this.post({ type: 'prune', nowMs });
  }

  /** Stores what can be stored within the budget, spools the rest; says in the log how many went where. */
  async stop(): Promise<void> {
    if (!this.worker.thread) return;
    const closed = new Promise<Extract<FromWorker, { type: 'closed' }> | null>((resolve) => (this.closed = resolve));
    const report = Promise.race([closed, this.worker.exited().then(() => null)]);
    await this.worker.stop({ type: 'close', budgetMs: CLOSE_BUDGET_MS }, CLOSE_BUDGET_MS + 1500);
    const c = await report;
    // The worker's last word may not have been read: whatever it did not acknowledge is still pending here.
    const left = [...this.pending.values()];
    let spooledHere = 0;
    if (left.length > 0) {
      try {
        new SpoolFile(this.data.spoolDir, 'main').append([
          ...left.map((event) => ({ type: 'event' as const, event })),
          ...[...this.lockouts].map(([key, l]) => ({ type: 'lockout' as const, key, ...l })),
        ]);
        spooledHere = left.length;
      } catch (err) {
        this.log.error(`${left.length} events could not be stored or spooled before stopping: ${(err as Error).message}`);
      }
    }
    const stored = c?.stored ?? 0;
    const spooled = (c?.spooled ?? 0) + spooledHere;
    if (stored > 0 || spooled > 0)
      this.log.info(`stopping: ${stored} events stored, ${spooled} spooled to ${this.data.spoolDir} (stored at the next start)`);
  }

  /** Sends to the worker once it is ready; before that, what is pending is sent when it is (resend). */
  private post(m: ToWorker): void {
    if (this.worker.running) this.worker.post(m);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'recorded_batch':
        for (const { ref, row } of m.items) {
          if (ref === -1) this.storage.spooled = Math.max(0, this.storage.spooled - 1);
          else if (!this.pending.delete(ref)) continue;
          this.recorded++;
          this.notify.push(row);
        }
        this.storage.losingSince = null;
        return this.drainNotify();
      case 'flushed': {
        const waiter = this.storedWaiters.get(m.token);
        if (waiter) {
          this.storedWaiters.delete(m.token);
          return waiter(true);
        }
        // After the listeners have seen everything stored before it.
        this.notify.push(() => {
          this.flushes.get(m.token)?.();
          this.flushes.delete(m.token);
        });
        return this.drainNotify();
      }
      case 'spooled':
        for (const ref of m.refs) this.pending.delete(ref);
        this.storage.spooled += m.refs.length;
        this.storage.losingSince = null;
        return;
      case 'storage':
        this.storage.failingSince = m.failing ? (this.storage.failingSince ?? Date.now()) : null;
        this.storage.busySince = m.busy ? (this.storage.busySince ?? Date.now()) : null;
        this.storage.reason = m.reason;
        if (m.failing)
          this.log.error(`storing events failed: ${m.reason}; they go to the spool (${this.data.spoolDir}) until the database takes them`);
        else if (m.busy) this.log.info(`storage busy: ${m.reason}; events go to the spool (${this.data.spoolDir}) until it is released`);
        else this.log.warn('the database takes writes again: the spool is stored');
        for (const l of this.storageListeners) l(this.storage);
        return;
      case 'replayed':
        this.log.info(
          `stored ${m.events} events and ${m.lockouts} lockout states from the spool${m.damaged ? ` (${m.damaged} damaged lines skipped)` : ''}`,
        );
        return;
      case 'reserve_released':
        this.log.error(`the disk is full: freed the ${Math.round(m.bytes / 1024)} KiB reserve so that events can still be stored`);
        return this.reserveReleased?.(m.bytes);
      case 'pruned':
        if (m.count > 0) this.log.info(`pruned ${m.count} events past the retention period`);
        if (m.due > m.limit) this.pruneLimited?.(m.due, m.count);
        return;
      case 'closed':
        this.closed?.(m);
        return;
      case 'rejected':
        this.rejected++;
        if (m.ref !== null) this.pending.delete(m.ref);
        this.log.error(`could not store ${m.message}`);
        return;
      case 'error':
        this.errors++;
        this.storage.losingSince ??= Date.now();
        this.storage.lastError = m.message;
        this.log.error(`storing events failed, retrying: ${m.message}`);
        for (const resolve of this.storedWaiters.values()) resolve(false);
        this.storedWaiters.clear();
    }
  }

  /** Set by the daemon: the disk filled and the reserve was freed (an alarm event). */
  reserveReleased: ((bytes: number) => void) | null = null;
  /** Set by the daemon: more was due for pruning than one run may remove (an alarm event). */
  pruneLimited: ((due: number, pruned: number) => void) | null = null;

  /**
   * Tells the listeners (log line, MQTT state) about stored events, at most about half a millisecond at a time: a
   * burst of thousands (the write lock was held by a sync's apply) must not stall key and Wiegand handling.
   */
  private drainNotify(): void {
    if (this.draining) return;
    this.draining = true;
    const until = performance.now() + 0.5;
    while (this.notify.length > 0 && performance.now() < until) {
      const item = this.notify.shift()!;
      if (typeof item === 'function') {
        item();
        continue;
      }
      for (const l of this.listeners) {
        try {
          l(item);
        } catch (err) {
          this.log.error(`event listener failed: ${(err as Error).message}`);
        }
      }
    }
    this.draining = false;
    if (this.notify.length > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        this.drainNotify();
      });
    }
  }
}
