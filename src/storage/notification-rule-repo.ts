/**
 * Notification rules (webhooks) and their delivery state. Each active rule drains the event table with its own
 * outbox cursor under `webhook_delivered_through:<id>` (storage/outbox-drain.ts): the cursor exists exactly while the
 * rule is active, so retention pruning (storage/prune.ts, by prefix) keeps every event an active rule has not yet
 * delivered, and an inactive or deleted rule holds nothing back.
 */
import { randomBytes } from 'node:crypto';
import type { PayloadFormat } from '../core/webhook-payload.js';
import type { Db } from './database.js';

/** The meta keys of the webhook cursors: the prefix, then the rule id. */
export const WEBHOOK_OUTBOX_PREFIX = 'webhook_delivered_through:';
export const webhookOutbox = (ruleId: number) => `${WEBHOOK_OUTBOX_PREFIX}${ruleId}`;

export interface NotificationRuleRow {
  id: number;
  name: string;
  active: boolean;
  call_back_url: string;
  event_codes: number[];
  /** Empty: every door, and the controller's own events. */
  door_ids: number[];
  allow_http: boolean;
  payload: PayloadFormat;
  created_at: string;
  updated_at: string;
  failing_since: string | null;
  failing_alarmed: boolean;
  last_error: string | null;
  last_delivered_at: string | null;
  delivered_count: number;
}

export interface NotificationRuleInput {
  name: string;
  active: boolean;
  call_back_url: string;
  event_codes: number[];
  door_ids: number[];
  allow_http: boolean;
  payload: PayloadFormat;
}

export interface ParkedRow {
  id: number;
  rule_id: number;
  event_id: number;
  http_status: number | null;
  reason: string;
  parked_at: string;
}

type Raw = Omit<NotificationRuleRow, 'active' | 'event_codes' | 'door_ids' | 'allow_http' | 'failing_alarmed'> & {
  active: number;
  event_codes: string;
  door_ids: string;
  allow_http: number;
  failing_alarmed: number;
  secret: string;
};

const COLUMNS = `id, name, active, call_back_url, event_codes, door_ids, allow_http, payload, created_at, updated_at, failing_since, failing_alarmed,
  last_error, last_delivered_at, delivered_count`;

function row(r: Raw): NotificationRuleRow {
  return {
    id: r.id,
    name: r.name,
    active: r.active === 1,
    call_back_url: r.call_back_url,
    event_codes: JSON.parse(r.event_codes) as number[],
    door_ids: JSON.parse(r.door_ids) as number[],
    allow_http: r.allow_http === 1,
    payload: r.payload,
    created_at: r.created_at,
    updated_at: r.updated_at,
    failing_since: r.failing_since,
    failing_alarmed: r.failing_alarmed === 1,
    last_error: r.last_error,
    last_delivered_at: r.last_delivered_at,
    delivered_count: r.delivered_count,
  };
}

export class NotificationRuleRepo {
  constructor(private readonly db: Db) {}

  /** Makes a rule and its secret (returned to be shown once); an active rule's cursor starts after the newest event. */
  insert(input: NotificationRuleInput, now: string): { row: NotificationRuleRow; secret: string } {
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const id = this.db
      .transaction(() => {
        const id = Number(
          this.db
            .prepare(
              `INSERT INTO notification_rules (name, active, call_back_url, event_codes, door_ids, allow_http, payload, secret, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              input.name,
              input.active ? 1 : 0,
              input.call_back_url,
              JSON.stringify(input.event_codes),
              JSON.stringify(input.door_ids),
              input.allow_http ? 1 : 0,
              input.payload,
              secret,
              now,
              now,
            ).lastInsertRowid,
        );
        if (input.active) this.startCursor(id);
        return id;
      })
      .immediate();
    return { row: this.get(id)!, secret };
  }

  /** Replaces what a rule matches and where it goes. Activating starts from the newest event; deactivating drops the cursor. */
  update(id: number, input: NotificationRuleInput, now: string): NotificationRuleRow | undefined {
    return this.db
      .transaction(() => {
        const before = this.get(id);
        if (!before) return undefined;
        this.db
          .prepare(
            `UPDATE notification_rules SET name = ?, active = ?, call_back_url = ?, event_codes = ?, door_ids = ?, allow_http = ?, payload = ?,
             updated_at = ? WHERE id = ?`,
          )
          .run(
            input.name,
            input.active ? 1 : 0,
            input.call_back_url,
            JSON.stringify(input.event_codes),
            JSON.stringify(input.door_ids),
            input.allow_http ? 1 : 0,
            input.payload,
            now,
            id,
          );
        if (input.active && !before.active) this.startCursor(id);
        if (!input.active) {
          this.dropCursor(id);
          this.db.prepare(`UPDATE notification_rules SET failing_since = NULL, failing_alarmed = 0, last_error = NULL WHERE id = ?`).run(id);
        }
        return this.get(id);
      })
      .immediate();
  }

  delete(id: number): boolean {
    return this.db
      .transaction(() => {
        this.dropCursor(id);
        return this.db.prepare(`DELETE FROM notification_rules WHERE id = ?`).run(id).changes > 0;
      })
      .immediate();
  }

  get(id: number): NotificationRuleRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM notification_rules WHERE id = ?`).get(id) as Raw | undefined;
    return r && row(r);
  }

  list(): NotificationRuleRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM notification_rules ORDER BY id`).all() as Raw[]).map(row);
  }

  /** Whether any rule is active (the daemon starts the webhook worker only then). */
  anyActive(): boolean {
    return this.db.prepare(`SELECT 1 FROM notification_rules WHERE active = 1 LIMIT 1`).get() !== undefined;
  }

  /** The active rules with their secrets: for the webhook worker only. */
  activeWithSecrets(): (NotificationRuleRow & { secret: string })[] {
    return (this.db.prepare(`SELECT ${COLUMNS}, secret FROM notification_rules WHERE active = 1 ORDER BY id`).all() as Raw[]).map((r) => ({
      ...row(r),
      secret: r.secret,
    }));
  }

  /** The worker's record of a delivery attempt: success clears the failure; a failure keeps the first time it started. */
  delivered(id: number, count: number, now: string): void {
    this.db
      .prepare(
        `UPDATE notification_rules SET delivered_count = delivered_count + @count, last_delivered_at = CASE WHEN @count > 0 THEN @now ELSE last_delivered_at END, failing_since = NULL, failing_alarmed = 0,
         last_error = NULL WHERE id = @id`,
      )
      .run({ count, now, id });
  }

  failed(id: number, error: string, now: string): void {
    this.db.prepare(`UPDATE notification_rules SET last_error = ?, failing_since = coalesce(failing_since, ?) WHERE id = ?`).run(error, now, id);
  }

  markAlarmed(id: number): void {
    this.db.prepare(`UPDATE notification_rules SET failing_alarmed = 1 WHERE id = ?`).run(id);
  }

  park(p: Omit<ParkedRow, 'id'>): void {
    this.db
      .prepare(`INSERT INTO webhook_parked (rule_id, event_id, http_status, reason, parked_at) VALUES (?, ?, ?, ?, ?)`)
      .run(p.rule_id, p.event_id, p.http_status, p.reason, p.parked_at);
  }

  parkedCount(ruleId: number): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM webhook_parked WHERE rule_id = ?`).get(ruleId) as { n: number }).n;
  }

  /** The newest parked events of a rule, newest first. */
  parked(ruleId: number, limit: number): ParkedRow[] {
    return this.db.prepare(`SELECT * FROM webhook_parked WHERE rule_id = ? ORDER BY id DESC LIMIT ?`).all(ruleId, limit) as ParkedRow[];
  }

  private startCursor(id: number): void {
    const newest = (this.db.prepare(`SELECT coalesce(max(id), 0) AS id FROM events`).get() as { id: number }).id;
    this.db
      .prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run(webhookOutbox(id), String(newest));
  }

  private dropCursor(id: number): void {
    this.db.prepare(`DELETE FROM meta WHERE key = ?`).run(webhookOutbox(id));
  }
}
