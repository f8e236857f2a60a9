/**
 * The reads the suspicious-access rules need (core/anomaly-rules.ts), all off the decision path: the grants of the
 * last days at start, a page at a time, and one person's reservation windows after a refusal that might be an
 * after_window. None runs while a door decides.
 */
import type { ReservationWindows } from '../core/anomaly-rules.js';
import type { Db } from './database.js';

/** Where a read of the grant history stands: the last row read (its created_at and id). */
export interface HistoryCursor {
  createdAt: string;
  id: number;
}

export class AnomalyRepo {
  constructor(private readonly db: Db) {}

  /** The newest event id now: grants up to it are history, later ones are judged as they are recorded. */
  newestId(): number {
    return (this.db.prepare(`SELECT coalesce(max(id), 0) AS id FROM events`).get() as { id: number }).id;
  }

  /**
   * One page of the access_granted events with a person (stamped by a clock not known untrusted), in time order through the created_at index, after `from`
   * (the last row of the page before, or the window's start with id 0) and up to id `upToId`, at most `limit`: a
   * long history is read a page at a time, so the door's thread is never held for long.
   */
  grantsPage(from: HistoryCursor, upToId: number, limit: number): ({ personId: number; atMs: number } & HistoryCursor)[] {
    const rows = this.db
      .prepare(
        `SELECT id, person_id, created_at FROM events INDEXED BY events_created
         WHERE (created_at, id) > (?, ?) AND id <= ? AND event_type = 'access_granted' AND person_id IS NOT NULL AND time_trusted IS NOT 0
         ORDER BY created_at, id LIMIT ?`,
      )
      .all(from.createdAt, from.id, upToId, limit) as { id: number; person_id: number; created_at: string }[];
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at, personId: r.person_id, atMs: Date.parse(r.created_at) }));
  }

  /** The person's own and group reservations: when the last ended, and whether one ends after `nowIso`. */
  reservationWindows(personId: number, nowIso: string): ReservationWindows {
    const row = this.db
      .prepare(
        `SELECT max(end_time) AS last_end, coalesce(max(end_time > ?), 0) AS upcoming FROM (
           SELECT end_time FROM reservations WHERE person_id = ?
           UNION ALL SELECT end_time FROM group_reservations WHERE person_id = ? AND deactivated_at IS NULL)`,
      )
      .get(nowIso, personId, personId) as { last_end: string | null; upcoming: number };
    return { lastEndMs: row.last_end === null ? null : Date.parse(row.last_end), upcoming: row.upcoming === 1 };
  }
}
