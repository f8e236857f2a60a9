/**
 * The pin_expiring check's reads: enabled PINs made in a time range, in (created_at, id) order from a cursor, a
 * bounded batch at a time through the credentials_pin_age index, each with whether it was warned about already.
 * The markers are written by the pin_expiring event's own commit (event-repo.ts markWarned), never from here.
 */
import { PIN_TYPE_ID } from './credential-repo.js';
import type { Db } from './database.js';

export interface AgingPin {
  id: string;
  person_id: number;
  created_at: string;
  warned: 0 | 1;
}

/**
 * Exported for its EXPLAIN QUERY PLAN test. The cursor's created_at is the index range's lower bound (a row value
 * comparison alone is not one: each batch would scan from the window's start), and the LIMIT bounds the rows read.
 */
export const AGING_PINS_SQL = `SELECT c.id, c.person_id, c.created_at,
    EXISTS (SELECT 1 FROM pin_expiry_warnings w WHERE w.credential_id = c.id AND w.pin_created_at = c.created_at) AS warned
  FROM credentials c
  WHERE c.credential_type_id = ${PIN_TYPE_ID} AND c.enabled = 1 AND c.created_at >= @cursorCreated AND c.created_at <= @until
    AND (c.created_at > @cursorCreated OR c.id > @cursorId)
  ORDER BY c.created_at, c.id LIMIT @limit`;

export interface AgingCursor {
  created_at: string;
  id: string;
}

export class PinExpiryRepo {
  private readonly batch;

  constructor(db: Db) {
    this.batch = db.prepare(AGING_PINS_SQL);
  }

  /** Up to `limit` PINs made at or before `until`, after `cursor` in (created_at, id) order (start: the first time, id ''). */
  aging(until: string, cursor: AgingCursor, limit: number): AgingPin[] {
    return this.batch.all({ until, cursorCreated: cursor.created_at, cursorId: cursor.id, limit }) as AgingPin[];
  }
}
