/**
 * The daemon's side of event storage. record() returns at once (a postMessage); the event counts as recorded when
 * the worker reports it committed, normally within one fsync. Until then it is kept here, and sent again if the
 * worker dies, so nothing is lost short of the process itself dying (then at most the last commit window is).
 */
import { Worker } from 'node:worker_threads';
import { stopWorker, WORKER_LIMITS } from '../worker-threads.js';
import type { PersistedLockout } from '../core/lockout.js';
import type { Logger } from '../log.js';
import type { EventRow, NewEvent } from './event-repo.js';
import type { FromWorker, RetentionPolicy, ToWorker } from './event-writer-protocol.js';

// The compiled worker; this path works from src/ (tests) and dist/ alike, as both sit at the package root.
const WORKER = new URL('../../dist/storage/event-writer-worker.js', import.meta.url);

/** Events held in memory while the database refuses writes (a full or read-only disk); beyond, new ones are dropped. */
const MAX_PENDING = 100_000;

export interface EventSink {
  /** Hands an event over to be stored; returns at once. */
  record(event: NewEvent): void;
  /** Hands over the lockout state of a keypad or reader (see storage/lockout-repo for the key); returns at once. */
  saveLockout(key: number, state: PersistedLockout, now: string): void;
  /**
   * Resolves true once everything handed over so far is durable, or false as soon as storing fails (a door must
   * not wait on a disk that refuses writes). The door waits on this before it shows a wrong guess's result, so that
   * a crash or power cut right after cannot give the guesser fresh tries.
   */
  whenStored(): Promise<boolean>;
}

export class EventWriter implements EventSink {
  private worker?: Worker;
  private nextRef = 1;
  private nextToken = 1;
  private readonly pending = new Map<number, NewEvent>();
  private readonly lockouts = new Map<number, { state: PersistedLockout; now: string }>();
  private readonly flushes = new Map<number, () => void>();
  private readonly storedWaiters = new Map<number, (stored: boolean) => void>();
  private readonly listeners: ((row: EventRow) => void)[] = [];
  /** Stored events (and flush replies) waiting for the listeners, in order. */
  private readonly notify: (EventRow | (() => void))[] = [];
  private draining = false;
  private drainScheduled = false;
  private stopping = false;
  private ready = false;
  /** Commit failures reported by the worker (it retries them). */
  errors = 0;
  /** Since when (ms epoch) commits have failed with no success since; null while storage works. */
  failingSince: number | null = null;
  /** Events dropped because too many were waiting in memory for a database that would not take them. */
  droppedInMemory = 0;
  /** Messages the worker could not store at all (counted and logged; a bug if ever non-zero). */
  rejected = 0;
  recorded = 0;

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly retention: RetentionPolicy | null = null,
  ) {}

  async start(): Promise<void> {
    this.ready = false;
    const worker = new Worker(WORKER, { workerData: { dataDir: this.dataDir, retention: this.retention }, resourceLimits: WORKER_LIMITS });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') {
          worker.off('error', reject);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.ready = true;
    // Anything recorded before the worker was up (or while a dead one was being replaced) goes now, in order.
    // Events carry a uid, so one that a dead worker committed but did not acknowledge is not stored twice.
    for (const [ref, event] of this.pending) this.post({ type: 'event', ref, event });
    for (const [doorId, l] of this.lockouts) this.post({ type: 'lockout', doorId, ...l });
    for (const token of [...this.flushes.keys(), ...this.storedWaiters.keys()]) this.post({ type: 'flush', token });
    worker.on('error', (err) => this.log.error(`event writer failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (this.stopping) return;
      this.log.error(`event writer exited (${code}); restarting it with ${this.pending.size} events still to store`);
      setTimeout(() => void this.restart(), 500);
    });
  }

  /** Called when an event is durable, with its id and per-door sequence number. */
  onRecorded(listener: (row: EventRow) => void): void {
    this.listeners.push(listener);
  }

  get backlog(): number {
    return this.pending.size;
  }

  record(event: NewEvent): void {
    if (this.pending.size >= MAX_PENDING) {
      // The database has refused writes for a long time: keep the oldest events (they are in order) and count.
      if (this.droppedInMemory++ % 1000 === 0) this.log.error(`${this.pending.size} events wait in memory; dropping new ones (${this.droppedInMemory} so far)`);
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

  whenStored(): Promise<boolean> {
    if (this.failingSince !== null) return Promise.resolve(false);
    const token = this.nextToken++;
    return new Promise((resolve) => {
      this.storedWaiters.set(token, resolve);
      this.post({ type: 'flush', token });
    });
  }

  /** Resolves once everything recorded so far is durable. */
  flush(): Promise<void> {
    const token = this.nextToken++;
    return new Promise((resolve) => {
      this.flushes.set(token, resolve);
      this.post({ type: 'flush', token });
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    await stopWorker(worker, () => this.post({ type: 'close' }), 5000);
    if (this.pending.size > 0) this.log.error(`${this.pending.size} events were not stored before stopping`);
  }

  /** Sends to the worker once it is ready; before that, pending state is sent by start(). */
  private post(m: ToWorker): void {
    if (this.ready) this.worker?.postMessage(m);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'recorded' || m.type === 'recorded_batch') {
      this.failingSince = null;
      for (const { ref, row } of m.type === 'recorded' ? [m] : m.items) {
        if (!this.pending.delete(ref)) continue;
        this.recorded++;
        this.notify.push(row);
      }
      this.drainNotify();
    } else if (m.type === 'flushed') {
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
      this.drainNotify();
    } else if (m.type === 'pruned') {
      this.log.info(`pruned ${m.count} events past the retention period`);
    } else if (m.type === 'rejected') {
      this.rejected++;
      if (m.ref !== null) this.pending.delete(m.ref);
      this.log.error(`could not store ${m.message}`);
    } else if (m.type === 'error') {
      this.errors++;
      this.failingSince ??= Date.now();
      for (const resolve of this.storedWaiters.values()) resolve(false);
      this.storedWaiters.clear();
      this.log.error(`storing events failed, retrying: ${m.message}`);
    }
  }

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

  private async restart(): Promise<void> {
    try {
      await this.start();
    } catch (err) {
      this.log.error(`event writer restart failed: ${(err as Error).message}; retrying`);
      setTimeout(() => void this.restart(), 2000);
    }
  }
}
