/**
 * Notification rules (webhooks), as DoorFlow's API has them: a name, whether it is active, the callback URL, the event
 * codes it matches and the doors (DoorFlow's controller ids). keypadd adds a per-rule signing secret, shown once when
 * the rule is made, and the delivery state. The webhook service (src/webhooks) delivers; this is only the admin side.
 */
import { DOOR_EVENT_CODES } from '../core/event-types.js';
import { EVENT_TYPES } from '../core/event-types.js';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../core/webhook-payload.js';
import { webhookUrlProblem } from '../core/webhook-url.js';
import { NotificationRuleRepo, webhookOutbox, type NotificationRuleRow, type ParkedRow } from '../storage/notification-rule-repo.js';
import { OutboxRepo } from '../storage/outbox-repo.js';
import { type AdminContext, nowIso } from './context.js';
import { Problems, notFound } from './errors.js';

/** DoorFlow's names of the access-decision codes; every other code is named by its event type's title. */
const DECISION_CODES: Record<number, string> = {
  10: 'Admit card',
  11: 'Admit PIN',
  20: 'Reject card',
  21: 'Reject out of hours',
  24: 'Reject PIN',
  26: 'Reject credential type',
  27: 'Reject unauthorised',
};

const CODE_NAMES: ReadonlyMap<number, string> = new Map([
  ...Object.entries(DECISION_CODES).map(([code, name]) => [Number(code), name] as const),
  ...Object.entries(DOOR_EVENT_CODES).map(([type, code]) => [code, EVENT_TYPES[type as keyof typeof EVENT_TYPES].title] as const),
]);

export interface NotificationRuleView {
  id: number;
  name: string;
  active: boolean;
  conditions: { type: 'door_controller_id'; type_description: string; value: string }[];
  events: { code: number; name: string }[];
  actions: { type: 0; type_description: 'Callback URL'; data: string }[];
  /** keypadd additions. */
  allow_insecure_http: boolean;
  /** What the POST carries: the event's JSON, or a chat service's shape (core/webhook-payload.ts). */
  payload_format: PayloadFormat;
  delivery: {
    /** ok: delivering or caught up; retrying: the endpoint fails now; failing: it has failed for a day (an alarm was raised). */
    state: 'ok' | 'retrying' | 'failing' | 'inactive';
    /** Events after this rule's cursor (matching or not): what it still has to look at. */
    backlog: number;
    delivered: number;
    last_delivered_at: string | null;
    failing_since: string | null;
    last_error: string | null;
    /** Events the endpoint refused for good (a 4xx): skipped, and listed here. */
    parked: number;
    recent_parked: Omit<ParkedRow, 'rule_id'>[];
  };
  created_at: string;
  updated_at: string;
}

export interface NotificationRuleBody {
  name?: string | undefined;
  active?: boolean | undefined;
  call_back_url?: string | undefined;
  match_event_codes?: number[] | undefined;
  match_controller_ids?: number[] | undefined;
  allow_insecure_http?: boolean | undefined;
  payload_format?: string | undefined;
}

export function ruleView(ctx: AdminContext, r: NotificationRuleRow): NotificationRuleView {
  const repo = new NotificationRuleRepo(ctx.store.db);
  const names = new Map(ctx.config.doors.map((d) => [d.id, d.name]));
  const state = !r.active ? 'inactive' : r.failing_alarmed ? 'failing' : r.failing_since ? 'retrying' : 'ok';
  return {
    id: r.id,
    name: r.name,
    active: r.active,
    conditions: r.door_ids.map((id) => ({ type: 'door_controller_id', type_description: `Door ${names.get(id) ?? id}`, value: String(id) })),
    events: r.event_codes.map((code) => ({ code, name: CODE_NAMES.get(code) ?? `Event ${code}` })),
    actions: [{ type: 0, type_description: 'Callback URL', data: r.call_back_url }],
    allow_insecure_http: r.allow_http,
    payload_format: r.payload,
    delivery: {
      state,
      backlog: r.active ? new OutboxRepo(ctx.store.db, webhookOutbox(r.id)).backlog() : 0,
      delivered: r.delivered_count,
      last_delivered_at: r.last_delivered_at,
      failing_since: r.failing_since,
      last_error: r.last_error,
      parked: repo.parkedCount(r.id),
      recent_parked: repo.parked(r.id, 10).map(({ rule_id: _rule, ...p }) => p),
    },
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Checks a whole body (POST, or PUT, which replaces the rule as DoorFlow's does), naming every field that is wrong. */
function readBody(ctx: AdminContext, b: NotificationRuleBody) {
  const p = new Problems();
  const name = b.name?.trim() ?? '';
  if (name === '') p.add('name', 'is required');
  else if (name.length > 100) p.add('name', 'must be at most 100 characters');
  const allowHttp = b.allow_insecure_http === true;
  if (!b.call_back_url) p.add('call_back_url', 'is required');
  else {
    const problem = webhookUrlProblem(b.call_back_url, allowHttp);
    if (problem) p.add('call_back_url', problem);
  }
  const codes = [...new Set(b.match_event_codes ?? [])].sort((x, y) => x - y);
  if (codes.length === 0) p.add('match_event_codes', 'must list at least one event code');
  for (const c of codes)
    if (!CODE_NAMES.has(c)) p.add('match_event_codes', `${c} is not an event code keypadd records (${[...CODE_NAMES.keys()].join(', ')})`);
  const known = new Set(ctx.config.doors.map((d) => d.id));
  const doors = [...new Set(b.match_controller_ids ?? [])].sort((x, y) => x - y);
  for (const d of doors) if (!known.has(d)) p.add('match_controller_ids', `door ${d} is not configured (doors: ${[...known].join(', ')})`);
  const payload = (b.payload_format ?? 'event') as PayloadFormat;
  if (!PAYLOAD_FORMATS.includes(payload)) p.add('payload_format', `must be one of ${PAYLOAD_FORMATS.join(', ')}`);
  else if (payload === 'telegram' && b.call_back_url && !/[?&]chat_id=[^&]+/.test(b.call_back_url))
    p.add('call_back_url', 'a telegram rule needs ?chat_id=<chat> in its URL');
  p.throwIfAny();
  return { name, active: b.active ?? true, call_back_url: b.call_back_url!, event_codes: codes, door_ids: doors, allow_http: allowHttp, payload };
}

/** Makes a rule; the answer carries `secret` (the HMAC key of X-Keypadd-Signature), which is never shown again. */
export function addNotificationRule(ctx: AdminContext, body: NotificationRuleBody): NotificationRuleView & { secret: string } {
  const { row, secret } = new NotificationRuleRepo(ctx.store.db).insert(readBody(ctx, body), nowIso(ctx));
  return { ...ruleView(ctx, row), secret };
}

export function updateNotificationRule(ctx: AdminContext, id: number, body: NotificationRuleBody): NotificationRuleView {
  const row = new NotificationRuleRepo(ctx.store.db).update(id, readBody(ctx, body), nowIso(ctx));
  if (!row) throw notFound('id', `no notification rule ${id}`);
  return ruleView(ctx, row);
}

export function getNotificationRule(ctx: AdminContext, id: number): NotificationRuleView {
  const row = new NotificationRuleRepo(ctx.store.db).get(id);
  if (!row) throw notFound('id', `no notification rule ${id}`);
  return ruleView(ctx, row);
}

export function listNotificationRules(ctx: AdminContext): NotificationRuleView[] {
  return new NotificationRuleRepo(ctx.store.db).list().map((r) => ruleView(ctx, r));
}

export function deleteNotificationRule(ctx: AdminContext, id: number): { result: 'ok' } {
  if (!new NotificationRuleRepo(ctx.store.db).delete(id)) throw notFound('id', `no notification rule ${id}`);
  return { result: 'ok' };
}
