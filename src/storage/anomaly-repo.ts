/**
 * The two reads the suspicious-access rules need (core/anomaly-rules.ts), both off the decision path: the grants of
 * the last days once at start (through the created_at index), and one person's reservation windows after a refusal
 * that might be an after_window. Neither runs while a door decides.
 */
import type { ReservationWindows } from '../core/anomaly-rules.js';
import type { Db } from './database.js';

export class AnomalyRepo {
  constructor(private readonly db: Db) {}

  /** Each access_granted with a person since `sinceIso`, oldest first, one row at a time. */
  *grantsSince(sinceIso: string): Generator<{ personId: number; atMs: number }> {
    const rows = this.db
      .prepare(
        `SELECT person_id, created_at FROM events
         WHERE created_at >= ? AND event_type = 'access_granted' AND person_id IS NOT NULL ORDER BY created_at`,
      )
      .iterate(sinceIso) as Iterable<{ person_id: number; created_at: string }>;
    for (const row of rows) yield { personId: row.person_id, atMs: Date.parse(row.created_at) };
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
