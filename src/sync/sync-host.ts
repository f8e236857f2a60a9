/**
 * The daemon's side of sync: starts the worker (restarting it if it dies), records the events it reports, keeps
 * its latest state for status, and asks it for a pull on demand. Nothing here waits on the network.
 */
import type { Config } from '../config/schema.js';
import type { Service } from '../services/service.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../storage/event-writer.js';
import { PendingReplies, SupervisedWorker } from '../worker-threads.js';
import type { PullOptions, PullResult } from './puller.js';
import type { FromSync, ToSync } from './protocol.js';
import { INITIAL_STATE, syncSummary, type SyncState } from '../storage/sync-state.js';

const WORKER = new URL('../../dist/sync/sync-worker.js', import.meta.url);

export class SyncHost implements Service {
  readonly name = 'sync';
  private readonly worker: SupervisedWorker<ToSync, FromSync>;
  private readonly pulls = new PendingReplies<PullResult>();
  private readonly startedAt = Date.now();
  state: SyncState = { ...INITIAL_STATE };

  constructor(
    private readonly config: Config,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly onState: () => void = () => undefined,
    /** Tests shorten the backoff between retries of one request. */
    retryBaseMs?: number,
  ) {
    this.worker = new SupervisedWorker({
      url: WORKER,
      name: 'sync worker',
      workerData: { config, startedAt: this.startedAt, ...(retryBaseMs !== undefined ? { retryBaseMs } : {}) },
      onMessage: (m: FromSync) => this.onMessage(m),
      log,
      restartMs: 5000,
      // A pull asked of a worker that died will not be answered: say so.
      onExit: () => this.pulls.settleAll({ ok: false, kind: 'error', error: 'the sync worker stopped', retryAfterMs: null }),
    });
  }

  start(): Promise<void> {
    return this.worker.start();
  }

  /** A pull now (`keypadd sync run`, MQTT sync_now); resolves with its outcome. */
  run(opts: PullOptions = {}): Promise<PullResult> {
    if (!this.worker.running) return Promise.resolve({ ok: false, kind: 'error', error: 'sync is not running', retryAfterMs: null });
    return this.pulls.ask((id) => this.worker.post({ type: 'run', id, opts }));
  }

  summary(): ReturnType<typeof syncSummary> & { url: string } {
    return { url: this.config.sync.url!, ...syncSummary(this.state, Date.now()) };
  }

  stop(): Promise<void> {
    return this.worker.stop({ type: 'stop' }, 5000);
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
      case 'result':
        this.pulls.answer(m.id, m.result);
    }
  }
}
