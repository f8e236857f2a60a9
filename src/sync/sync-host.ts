/**
 * The daemon's side of sync: starts the worker (restarting it if it dies), records the events it reports, keeps
 * its latest state for status, and asks it for a pull on demand. Nothing here waits on the network.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../storage/event-writer.js';
import { stopWorker, WORKER_LIMITS } from '../worker-threads.js';
import type { PullOptions, PullResult } from './puller.js';
import type { FromSync, ToSync } from './protocol.js';
import { INITIAL_STATE, syncSummary, type SyncState } from './state.js';

const WORKER = new URL('../../dist/sync/sync-worker.js', import.meta.url);

export class SyncHost {
  private worker?: Worker;
  private stopping = false;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: PullResult) => void>();
  private readonly startedAt = Date.now();
  state: SyncState = { ...INITIAL_STATE };

  constructor(
    private readonly config: Config,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly onState: () => void = () => undefined,
    /** Tests shorten the backoff between retries of one request. */
    private readonly retryBaseMs?: number,
  ) {}

  start(): void {
    const worker = new Worker(WORKER, {
      workerData: { config: this.config, startedAt: this.startedAt, ...(this.retryBaseMs !== undefined ? { retryBaseMs: this.retryBaseMs } : {}) },
      resourceLimits: WORKER_LIMITS,
    });
    this.worker = worker;
    worker.on('message', (m: FromSync) => this.onMessage(m));
    worker.on('error', (err) => this.log.error(`sync worker failed: ${err.message}`));
    worker.on('exit', (code) => {
      for (const resolve of this.waiting.values()) resolve({ ok: false, kind: 'error', error: 'the sync worker stopped', retryAfterMs: null });
      this.waiting.clear();
      if (this.stopping) return;
      this.log.error(`sync worker exited (${code}); restarting it in 5 s`);
      setTimeout(() => this.start(), 5000).unref();
    });
  }

  /** A pull now (`keypadd sync run`, MQTT sync_now); resolves with its outcome. */
  run(opts: PullOptions = {}): Promise<PullResult> {
    const worker = this.worker;
    if (!worker || this.stopping) return Promise.resolve({ ok: false, kind: 'error', error: 'sync is not running', retryAfterMs: null });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ type: 'run', id, opts } satisfies ToSync);
    });
  }

  summary(): ReturnType<typeof syncSummary> & { url: string } {
    return { url: this.config.sync.url!, ...syncSummary(this.state, Date.now()) };
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    await stopWorker(worker, () => worker.postMessage({ type: 'stop' } satisfies ToSync), 5000);
  }

  private onMessage(m: FromSync): void {
    switch (m.type) {
      case 'log':
        return this.log[m.level](m.message);
      case 'event':
        return this.events.record(m.event);
      case 'state':
        this.state = m.state;
        return this.onState();
      case 'result': {
        const resolve = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        resolve?.(m.result);
      }
    }
  }
}
