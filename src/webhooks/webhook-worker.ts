/**
 * The webhook worker, on its own thread with its own database connection: each active notification rule drains the
 * event table with its own OutboxDrain (storage/outbox-drain.ts), one POST at a time, so a rule's endpoint sees its
 * events in id order (each door's in sequence order). The cursor moves only over events delivered or parked, so a
 * crash or SIGKILL repeats events (each with the same Idempotency-Key) and never skips one. A failure stops the rule
 * where it is and retries after a backoff (1 s doubling to 5 min, with jitter); the rest of the daemon never waits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { backoffMs } from '../core/backoff.js';
import { toIsoSeconds } from '../core/site-time.js';
import { webhookPayload } from '../core/webhook-payload.js';
import { loggableUrl } from '../core/webhook-url.js';
import { eventView } from '../application/events.js';
import { openDatabase, type Db } from '../storage/database.js';
import type { EventRow } from '../storage/event-repo.js';
import { newEvent, now } from '../storage/new-event.js';
import { NotificationRuleRepo, webhookOutbox, type NotificationRuleRow } from '../storage/notification-rule-repo.js';
import { OutboxDrain } from '../storage/outbox-drain.js';
import { lowerThreadPriority } from '../worker-threads.js';
import { deliver } from './deliver.js';
import type { FromWebhooks, RuleState, ToWebhooks, WebhookData } from './protocol.js';

lowerThreadPriority(10);
const data = workerData as WebhookData;
const port = parentPort!;
const send = (m: FromWebhooks) => port.postMessage(m);
const log = (level: 'error' | 'warn' | 'info', message: string) => send({ type: 'log', level, message });
const WINDOW = 200;
/** At most one webhook_parked event per rule in this time: two rules parking each other's events must not loop. */
const PARK_EVENT_EVERY_MS = 60_000;

type Rule = NotificationRuleRow & { secret: string };

class RuleRunner {
  private readonly drain: OutboxDrain;
  private busy = false;
  stopped = false;
  private attempt = 0;
  retryAt = 0;
  private lastParkEvent = -Infinity;
  private parkedSinceEvent = 0;
  private alarmed: boolean;

  constructor(
    private readonly db: Db,
    readonly rule: Rule,
  ) {
    this.drain = new OutboxDrain(db, webhookOutbox(rule.id), WINDOW);
    this.alarmed = rule.failing_alarmed;
    // Failing when the daemon last stopped: count from there, so a restart does not reset the backoff's first wait.
    if (rule.failing_since !== null) this.attempt = 1;
  }

  /** Keeps the cursor over what was delivered (on stop). */
  saveNow(): void {
    this.save(new NotificationRuleRepo(this.db), 0, 0);
  }

  /** Delivers what it can now; returns at once when already running or waiting for its retry. */
  async run(): Promise<void> {
    if (this.busy || this.stopped || Date.now() < this.retryAt) return;
    this.busy = true;
    try {
      await this.deliverAll();
    } catch (err) {
      log('error', `webhook ${this.rule.id}: ${(err as Error).message}`);
      this.drain.reset();
      this.retryAt = Date.now() + 1000;
    } finally {
      this.busy = false;
    }
  }

  private async deliverAll(): Promise<void> {
    const repo = new NotificationRuleRepo(this.db);
    for (;;) {
      const batch = this.drain.next();
      if (batch.length === 0) return;
      let delivered = 0;
      let answered = 0;
      for (const { row, generation } of batch) {
        if (!this.matches(row)) {
          this.drain.ack(row.id, generation);
          continue;
        }
        const payload = webhookPayload(this.rule.payload, eventView(data.doors, row), this.rule.call_back_url);
        const outcome = await deliver({
          url: this.rule.call_back_url,
          ...payload,
          secret: this.rule.secret,
          // Every event has a uid made when it happened; the id stands in for one an older import left without.
          idempotencyKey: row.uid ?? `keypadd-event-${row.id}`,
          headers: { 'user-agent': `keypadd/${data.version}`, 'x-keypadd-event-id': String(row.id), 'x-keypadd-rule-id': String(this.rule.id) },
          timeoutMs: data.timeoutMs,
        });
        // Deleted, deactivated or changed while the request was out: the new runner owns the cursor now.
        if (this.stopped) return;
        if (outcome.kind === 'retry') {
          this.save(repo, delivered, answered);
          return this.failed(repo, outcome.error, outcome.retryAfterMs);
        }
        if (outcome.kind === 'park') this.park(repo, row, outcome.status, outcome.error);
        else delivered++;
        answered++;
        this.drain.ack(row.id, generation);
      }
      this.save(repo, delivered, answered);
    }
  }

  private matches(row: EventRow): boolean {
    if (!this.rule.event_codes.includes(row.event_code)) return false;
    if (this.rule.door_ids.length > 0 && (row.door_id === null || !this.rule.door_ids.includes(row.door_id))) return false;
    // A rule's own notices about itself would feed back into it.
    if (row.event_type.startsWith('webhook_') && row.detail !== null && (JSON.parse(row.detail) as { rule_id?: number }).rule_id === this.rule.id)
      return false;
    return true;
  }

  /** Saves the cursor (only while the rule is still active: a deleted rule must hold no events back) and the count. */
  private save(repo: NotificationRuleRepo, delivered: number, answered: number): void {
    this.db
      .transaction(() => {
        if (!repo.get(this.rule.id)?.active) return;
        this.drain.save();
        // The endpoint answered (took or refused events): whatever failed before is over.
        if (answered > 0) repo.delivered(this.rule.id, delivered, toIsoSeconds(Date.now()));
      })
      .immediate();
    if (this.attempt > 0 && answered > 0) this.recovered();
  }

  private recovered(): void {
    const wasFailing = this.alarmed;
    this.attempt = 0;
    this.alarmed = false;
    log('info', `webhook ${this.rule.id} "${this.rule.name}": delivering again to ${loggableUrl(this.rule.call_back_url)}`);
    if (wasFailing) this.notice('webhook_recovered', `Webhook "${this.rule.name}" delivers again; it catches up in order`, {});
  }

  private failed(repo: NotificationRuleRepo, error: string, retryAfterMs: number | null): void {
    this.attempt++;
    const wait = Math.min(data.retry.maxMs, Math.max(backoffMs(this.attempt, { ...data.retry, jitter: 0.2 }), retryAfterMs ?? 0));
    this.retryAt = Date.now() + wait;
    this.drain.reset();
    const at = toIsoSeconds(Date.now());
    repo.failed(this.rule.id, error, at);
    if (this.attempt === 1)
      log(
        'warn',
        `webhook ${this.rule.id} "${this.rule.name}" to ${loggableUrl(this.rule.call_back_url)} failed (${error}); retrying with backoff, in order`,
      );
    const since = repo.get(this.rule.id)?.failing_since ?? at;
    if (!this.alarmed && Date.now() - Date.parse(since) >= data.failingAfterMs) {
      this.alarmed = true;
      repo.markAlarmed(this.rule.id);
      this.notice('webhook_failing', `Webhook "${this.rule.name}" has failed since ${since} (${error}); its events are kept until it recovers`, {
        error,
        failing_since: since,
      });
    }
  }

  private park(repo: NotificationRuleRepo, row: EventRow, status: number, error: string): void {
    repo.park({ rule_id: this.rule.id, event_id: row.id, http_status: status, reason: error, parked_at: toIsoSeconds(Date.now()) });
    log('warn', `webhook ${this.rule.id} "${this.rule.name}": the endpoint refused event ${row.id} (${error}); parked, going on with the next`);
    this.parkedSinceEvent++;
    if (Date.now() - this.lastParkEvent < PARK_EVENT_EVERY_MS) return;
    this.lastParkEvent = Date.now();
    this.notice('webhook_parked', `Webhook "${this.rule.name}" refused ${this.parkedSinceEvent} event(s) (${error}): parked, see the rule`, {
      event_id: row.id,
      http_status: status,
      count: this.parkedSinceEvent,
    });
    this.parkedSinceEvent = 0;
  }

  private notice(type: 'webhook_parked' | 'webhook_failing' | 'webhook_recovered', label: string, detail: Record<string, unknown>): void {
    send({ type: 'event', event: newEvent(type, { door_id: null, event_label: label, detail: { rule_id: this.rule.id, ...detail } }, now()) });
  }

  state(repo: NotificationRuleRepo): RuleState {
    const row = repo.get(this.rule.id);
    return {
      id: this.rule.id,
      name: this.rule.name,
      state: this.alarmed ? 'failing' : this.attempt > 0 ? 'retrying' : 'ok',
      backlog: this.drain.backlog(),
      parked: repo.parkedCount(this.rule.id),
      last_error: row?.last_error ?? null,
      failing_since: row?.failing_since ?? null,
      next_retry_at: this.retryAt > Date.now() ? new Date(this.retryAt).toISOString() : null,
    };
  }
}

let db: Db | null = null;
const runners = new Map<number, RuleRunner>();

function open(): Db | null {
  if (db) return db;
  try {
    db = openDatabase(data.dataDir, { alreadyChecked: true });
    // A lost cursor save only repeats events (each with its idempotency key): no fsync per save.
    db.pragma('synchronous = NORMAL');
  } catch (err) {
    log('error', `webhooks cannot open the database (${(err as Error).message}); trying again`);
  }
  return db;
}

const fingerprint = (r: Rule) =>
  JSON.stringify([r.created_at, r.updated_at, r.call_back_url, r.event_codes, r.door_ids, r.payload, r.allow_http, r.secret, r.name]);

/** The rules as the database has them now: new ones start, removed or changed ones are replaced. */
function refresh(database: Db): void {
  const rules = new NotificationRuleRepo(database).activeWithSecrets();
  const live = new Set(rules.map((r) => r.id));
  for (const [id, runner] of runners)
    if (!live.has(id)) {
      runner.stopped = true;
      runners.delete(id);
    }
  for (const rule of rules) {
    const runner = runners.get(rule.id);
    // Anything that shapes delivery changed (a PUT, or a rule made again in the same second): a new runner.
    if (runner && fingerprint(runner.rule) === fingerprint(rule)) continue;
    if (runner) runner.stopped = true;
    runners.set(rule.id, new RuleRunner(database, rule));
  }
}

let tickQueued = false;
function tick(): void {
  tickQueued = false;
  const database = open();
  if (!database) return;
  try {
    refresh(database);
  } catch (err) {
    log('error', `reading the notification rules failed: ${(err as Error).message}`);
    return;
  }
  for (const runner of runners.values()) void runner.run();
}

function queueTick(): void {
  if (tickQueued) return;
  tickQueued = true;
  setImmediate(tick);
}

function reportState(): void {
  if (!db) return;
  try {
    const repo = new NotificationRuleRepo(db);
    send({ type: 'state', rules: [...runners.values()].map((r) => r.state(repo)) });
  } catch (err) {
    log('error', `webhook state: ${(err as Error).message}`);
  }
}

// Retries fall due and rules change without a wake: look often (a look is a timestamp compare and one small query).
const ticker = setInterval(queueTick, 250);
const stateTimer = setInterval(reportState, 1000);
queueTick();
setTimeout(reportState, 100);

port.on('message', (m: ToWebhooks) => {
  if (m.type === 'wake') return queueTick();
  clearInterval(ticker);
  clearInterval(stateTimer);
  for (const runner of runners.values()) {
    runner.stopped = true;
    try {
      runner.saveNow();
    } catch (err) {
      log('error', `saving a webhook cursor failed: ${(err as Error).message}`);
    }
  }
  db?.close();
  send({ type: 'stopped' });
  port.close();
});
