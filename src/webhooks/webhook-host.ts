/**
 * The daemon's side of webhooks: starts the delivery worker (restarted if it dies; it resumes from the saved cursors),
 * wakes it when an event is stored, records the notices it sends (parked, failing, recovered) and keeps the rules'
 * latest state for status and MQTT. Nothing here waits on an endpoint.
 *
 * The worker (a whole V8 isolate, about 9 MB) starts only once an active rule exists: a controller without webhooks
 * does not pay for it. Until then the host looks for a rule every `lookMs` (1 s) (one indexed read of a small table); a
 * rule's outbox cursor is made with the rule, so the events stored before the worker starts are delivered all the same.
 * Once started the worker stays up, even if every rule is deleted again.
 */
import type { Logger } from '../log.js';
import type { EventBus } from '../services/bus.js';
import type { Service } from '../services/service.js';
import type { EventSink } from '../storage/event-writer.js';
import { SupervisedWorker } from '../worker-threads.js';
import type { FromWebhooks, RuleState, ToWebhooks, WebhookData } from './protocol.js';

const WORKER = new URL('../../dist/webhooks/webhook-worker.js', import.meta.url);

/** What status and MQTT's status topic show of the webhooks. */
export interface WebhookSummary {
  rules: number;
  retrying: number;
  failing: number;
  /** Events still to look at, summed over the rules. */
  backlog: number;
  parked: number;
  details: RuleState[];
}

export class WebhookHost implements Service {
  readonly name = 'webhooks';
  private readonly worker: SupervisedWorker<ToWebhooks, FromWebhooks>;
  private rules: RuleState[] = [];
  private off?: () => void;
  private wakeQueued = false;
  private looking?: NodeJS.Timeout;

  /** `hasRules`: whether an active notification rule exists now (read from storage; false when it cannot be read). */
  constructor(
    data: WebhookData,
    private readonly bus: EventBus,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly hasRules: () => boolean,
    private readonly lookMs = 1000,
  ) {
    this.worker = new SupervisedWorker({
      url: WORKER,
      name: 'webhook worker',
      workerData: data,
      onMessage: (m) => this.onMessage(m),
      log,
      restartMs: 1000,
    });
  }

  async start(): Promise<void> {
    if (this.hasRules()) return this.startWorker();
    this.looking = setInterval(() => {
      if (!this.hasRules()) return;
      clearInterval(this.looking);
      this.looking = undefined;
      this.startWorker().catch((err: unknown) => this.log.error(`webhook worker did not start: ${(err as Error).message}`));
    }, this.lookMs);
    this.looking.unref();
  }

  /** Whether the delivery worker has been started (false until an active rule exists). */
  get workerStarted(): boolean {
    return this.worker.thread !== undefined;
  }

  private async startWorker(): Promise<void> {
    await this.worker.start();
    // One wake per turn of the loop however many events were stored in it: the worker reads them in batches.
    this.off = this.bus.on('event.recorded', () => {
      if (this.wakeQueued) return;
      this.wakeQueued = true;
      setImmediate(() => {
        this.wakeQueued = false;
        this.worker.post({ type: 'wake' });
      });
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.looking);
    this.off?.();
    if (!this.workerStarted) return;
    await this.worker.stop({ type: 'stop' }, 3000);
  }

  summary(): WebhookSummary {
    const r = this.rules;
    return {
      rules: r.length,
      retrying: r.filter((x) => x.state === 'retrying').length,
      failing: r.filter((x) => x.state === 'failing').length,
      backlog: r.reduce((n, x) => n + x.backlog, 0),
      parked: r.reduce((n, x) => n + x.parked, 0),
      details: r,
    };
  }

  private onMessage(m: FromWebhooks): void {
    switch (m.type) {
      case 'log':
        return this.log[m.level](m.message);
      case 'event':
        return this.events.record(m.event);
      case 'state':
        this.rules = m.rules;
        return;
      case 'stopped':
        return;
    }
  }
}

/** Test overrides (KEYPADD_TEST_WEBHOOK_*), else a day to failing, 1 s doubling to 5 min, 10 s per request. */
export function webhookTimings(env: NodeJS.ProcessEnv): Pick<WebhookData, 'retry' | 'failingAfterMs' | 'timeoutMs'> {
  const n = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return {
    retry: { firstMs: n('KEYPADD_TEST_WEBHOOK_RETRY_MS', 1000), maxMs: n('KEYPADD_TEST_WEBHOOK_RETRY_MAX_MS', 300_000) },
    failingAfterMs: n('KEYPADD_TEST_WEBHOOK_FAILING_MS', 86_400_000),
    timeoutMs: n('KEYPADD_TEST_WEBHOOK_TIMEOUT_MS', 10_000),
  };
}
