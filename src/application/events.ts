/** Reading the event history, answered as DoorFlow answers GET /api/3/events. */
import { EventRepo, type EventRow } from '../storage/event-repo.js';
import type { AdminContext } from './context.js';
import { notFound } from './errors.js';

/** An event in DoorFlow's shape, with the guide's `timestamp` and the credential used. */
export interface EventView {
  id: number;
  event_id: number;
  event_code: number;
  event_type: string;
  event_label: string;
  channel_id: number | null;
  channel_name: string | null;
  door_seq: number | null;
  person_id: number | null;
  person_name: string | null;
  credential_id: string | null;
  credential_type: string | null;
  reason: string | null;
  source: string | null;
  /** Card number of an unknown card (DoorFlow's field, for enrolment); null for a matched card and for PINs. */
  credentials_number: string | null;
  /** Whether the controller trusted its clock at the time (null: not a door event). */
  time_trusted: boolean | null;
  /** Time-sortable unique id made at the door. */
  uid: string | null;
  detail: Record<string, unknown> | null;
  timestamp: string;
  created_at: string;
  updated_at: string;
}

/** The event as the API and MQTT carry it; `doors` names the channel. */
export function eventView(doors: readonly { id: number; name: string }[], e: EventRow): EventView {
  const detail = e.detail ? (JSON.parse(e.detail) as Record<string, unknown>) : null;
  // A card number is shown for an unknown card only (enrolment needs it); a matched card's number is its holder's,
  // whatever an older event stored. The door stores it only then too: this is the second line.
  const cardNumber = e.reason === 'unknown_credential' && typeof detail?.card_number === 'string' ? detail.card_number : null;
  if (detail && cardNumber === null) delete detail.card_number;
  return {
    id: e.id,
    event_id: e.id,
    event_code: e.event_code,
    event_type: e.event_type,
    event_label: e.event_label,
    channel_id: e.door_id,
    channel_name: doors.find((d) => d.id === e.door_id)?.name ?? null,
    door_seq: e.door_seq,
    person_id: e.person_id,
    person_name: e.person_name,
    credential_id: e.credential_id,
    credential_type: e.credential_type,
    reason: e.reason,
    source: e.source,
    credentials_number: cardNumber,
    time_trusted: e.time_trusted === null ? null : e.time_trusted === 1,
    uid: e.uid,
    detail,
    timestamp: e.created_at,
    created_at: e.created_at,
    updated_at: e.created_at,
  };
}

export interface EventQuery {
  person_id?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
  channel_ids?: number[] | undefined;
  event_codes?: number[] | undefined;
  /** Oldest first (DoorFlow's sort=ASC); newest first by default. */
  ascending?: boolean;
  limit?: number;
  offset?: number;
}

const filterOf = (q: EventQuery) => ({ personId: q.person_id, since: q.since, until: q.until, doorIds: q.channel_ids, codes: q.event_codes });

export function listEvents(ctx: AdminContext, q: EventQuery): EventView[] {
  return new EventRepo(ctx.store.db)
    .list({ ...filterOf(q), limit: q.limit ?? 100, offset: q.offset ?? 0, ascending: q.ascending === true })
    .map((e) => eventView(ctx.config.doors, e));
}

export function countEvents(ctx: AdminContext, q: EventQuery): number {
  return new EventRepo(ctx.store.db).count(filterOf(q));
}

export function getEvent(ctx: AdminContext, id: number): EventView {
  const e = new EventRepo(ctx.store.db).get(id);
  if (!e) throw notFound('id', `no event ${id}`);
  return eventView(ctx.config.doors, e);
}
