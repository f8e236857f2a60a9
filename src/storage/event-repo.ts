/**
 * The append-only event table. An event counts as recorded once append() returns: the commit is synchronous=FULL.
 * Each door's events are numbered 1, 2, 3... without gaps (door_seq), so a consumer can tell what it missed.
 */
import type { Db } from './database.js';
import { where } from './where.js';

export interface NewEvent {
  door_id: number | null;
  event_code: number;
  event_type: string;
  event_label: string;
  person_id?: number | null;
  person_name?: string | null;
  credential_id?: string | null;
  credential_type?: string | null;
  reason?: string | null;
  source?: string | null;
  /** Extra facts as JSON. Never a PIN. */
  detail?: Record<string, unknown> | null;
  /** Whether the wall clock was trusted when the event happened (null: not applicable, e.g. admin events). */
  time_trusted?: boolean | null;
  /** Time-sortable unique id made when the event happened; a second append with the same uid is a no-op. */
  uid?: string | null;
  created_at: string;
}

export interface EventRow extends Required<Omit<NewEvent, 'detail' | 'time_trusted'>> {
  id: number;
  door_seq: number | null;
  detail: string | null;
  time_trusted: 0 | 1 | null;
}

export class EventRepo {
  constructor(private readonly db: Db) {}

  append(e: NewEvent): EventRow {
    return this.db
      .transaction(() => {
        if (e.uid) {
          const existing = this.db.prepare(`SELECT * FROM events WHERE uid = ?`).get(e.uid) as EventRow | undefined;
          if (existing) return existing;
        }
        const seq =
          e.door_id === null
            ? null
            : (this.db.prepare(`SELECT coalesce(max(door_seq), 0) + 1 AS n FROM events WHERE door_id = ?`).get(e.door_id) as { n: number }).n;
        const row = {
          door_id: e.door_id,
          door_seq: seq,
          event_code: e.event_code,
          event_type: e.event_type,
          event_label: e.event_label,
          person_id: e.person_id ?? null,
          person_name: e.person_name ?? null,
          credential_id: e.credential_id ?? null,
          credential_type: e.credential_type ?? null,
          reason: e.reason ?? null,
          source: e.source ?? null,
          detail: e.detail ? JSON.stringify(e.detail) : null,
          time_trusted: e.time_trusted === undefined || e.time_trusted === null ? null : e.time_trusted ? (1 as const) : (0 as const),
          uid: e.uid ?? null,
          created_at: e.created_at,
        };
        const info = this.db
          .prepare(
            `INSERT INTO events (door_id, door_seq, event_code, event_type, event_label, person_id, person_name, credential_id,
             credential_type, reason, source, detail, time_trusted, uid, created_at)
           VALUES (@door_id, @door_seq, @event_code, @event_type, @event_label, @person_id, @person_name, @credential_id,
             @credential_type, @reason, @source, @detail, @time_trusted, @uid, @created_at)`,
          )
          .run(row);
        spendUse(this.db, e);
        markWarned(this.db, e);
        return { id: Number(info.lastInsertRowid), ...row };
      })
      .immediate();
  }

  /** Newest first, as an admin reads a log (or oldest first with `ascending`); `since` and `until` bound created_at. */
  list(filter: EventFilter & { limit: number; offset?: number; ascending?: boolean }): EventRow[] {
    const w = eventWhere(filter);
    return this.db
      .prepare(`SELECT * FROM events ${w.sql} ORDER BY id ${filter.ascending ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`)
      .all(...w.params, filter.limit, filter.offset ?? 0) as EventRow[];
  }

  count(filter: EventFilter): number {
    const w = eventWhere(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM events ${w.sql}`).get(...w.params) as { n: number }).n;
  }

  /** The newest time an event was stored with a trusted clock: the clock's floor (a later clock never reads less). */
  newestTrustedTimeMs(): number {
    const row = this.db.prepare(`SELECT max(created_at) AS t FROM events WHERE time_trusted = 1`).get() as { t: string | null };
    return row.t === null ? -Infinity : Date.parse(row.t);
  }

  /**
   * A door's newest event, or its newest of `types`, through the (door_id, door_seq) index: what the retained state
   * says after a restart. Older events may have been pruned; undefined then.
   */
  newestAtDoor(doorId: number, types?: readonly string[]): EventRow | undefined {
    const only = types ? `AND event_type IN (SELECT value FROM json_each(?))` : '';
    return this.db
      .prepare(`SELECT * FROM events WHERE door_id = ? ${only} ORDER BY door_seq DESC LIMIT 1`)
      .get(...(types ? [doorId, JSON.stringify(types)] : [doorId])) as EventRow | undefined;
  }

  /**
   * The unknown cards refused at a door (their number is in the detail: an unknown card has no holder to protect),
   * after an event id: oldest first from `afterId` (the card an enrolment waits for), newest first without it, then
   * among the newest 100,000 events only, so a door that never saw an unknown card costs a bounded scan.
   */
  unknownCardsAtDoor(doorId: number, options: { afterId?: number; limit: number }): EventRow[] {
    const after = options.afterId !== undefined;
    return this.db
      .prepare(
        `SELECT * FROM events WHERE door_id = ? AND event_type = 'access_denied' AND reason = 'unknown_credential'
           AND json_extract(detail, '$.card_number') IS NOT NULL
           AND id > ${after ? '?' : '(SELECT coalesce(max(id), 0) - 100000 FROM events)'}
         ORDER BY id ${after ? 'ASC' : 'DESC'} LIMIT ?`,
      )
      .all(...(after ? [doorId, options.afterId, options.limit] : [doorId, options.limit])) as EventRow[];
  }

  get(id: number): EventRow | undefined {
    return this.db.prepare(`SELECT * FROM events WHERE id = ?`).get(id) as EventRow | undefined;
  }
}

/**
 * A grant of a use-limited PIN carries the uses left after it (`detail.uses_remaining`): the use is spent in the
 * event's own transaction, so the spend is durable exactly when the grant is (and a replayed event, deduplicated by
 * uid above, never spends twice). The spend that reaches zero disables the credential.
 */
function spendUse(db: Db, e: NewEvent): void {
  if (e.event_type !== 'access_granted' || !e.credential_id || typeof e.detail?.['uses_remaining'] !== 'number') return;
  db.prepare(
    `UPDATE credentials SET uses_remaining = uses_remaining - 1, enabled = CASE WHEN uses_remaining <= 1 THEN 0 ELSE enabled END,
       updated_at = ? WHERE id = ? AND uses_remaining > 0`,
  ).run(e.created_at, e.credential_id);
}

/**
 * A pin_expiring event marks its PIN warned in the event's own transaction: the warning counts once it is stored,
 * and is never given again for that PIN (a reset PIN is a new credential, with a new created_at).
 */
function markWarned(db: Db, e: NewEvent): void {
  const expiresAt = e.detail?.['expires_at'];
  if (e.event_type !== 'pin_expiring' || !e.credential_id || typeof expiresAt !== 'string') return;
  db.prepare(
    `INSERT OR IGNORE INTO pin_expiry_warnings (credential_id, pin_created_at, expires_at, warned_at)
       SELECT id, created_at, ?, ? FROM credentials WHERE id = ?`,
  ).run(expiresAt, e.created_at, e.credential_id);
}

export interface EventFilter {
  personId?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
  doorIds?: number[] | undefined;
  codes?: number[] | undefined;
}

function eventWhere(f: EventFilter) {
  return where([
    ['person_id = ?', f.personId],
    ['created_at >= ?', f.since],
    ['created_at < ?', f.until],
    ['door_id IN (SELECT value FROM json_each(?))', f.doorIds ? JSON.stringify(f.doorIds) : undefined],
    ['event_code IN (SELECT value FROM json_each(?))', f.codes ? JSON.stringify(f.codes) : undefined],
  ]);
}
