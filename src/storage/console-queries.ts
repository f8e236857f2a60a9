/**
 * The console's reads: a people search that stays quick at 100,000 people (by id, newest first, so a page is an
 * index walk; a term is matched in names and email, or exactly as a card number), and the events after an id for
 * the live feed.
 */
import type { Db } from './database.js';
import type { EventRow } from './event-repo.js';
import type { PersonRow } from './people-repo.js';

export interface PeopleSearch {
  /** A prefix of the first name, last name or email (any case); empty: everyone. */
  term: string;
  /** The digest of the term as a card number (store.digest), when the term can be one: matched exactly. */
  cardDigest: string | null;
  limit: number;
  offset: number;
}

/**
 * Prefix matches only, so each side is an index range (people_first_name, people_last_name, people_email_prefix,
 * all NOCASE as LIKE is) rather than a scan of every row; % and _ are taken out of the term, not escaped, as an
 * ESCAPE clause would turn the index off. A card is found by its digest, the unique index the door uses.
 */
function where(term: string, cardDigest: string | null): { sql: string; params: unknown[] } {
  const t = term.trim().replace(/[%_]/g, '');
  const parts: string[] = [];
  const params: unknown[] = [];
  if (t !== '') {
    parts.push(`first_name LIKE ?`, `last_name LIKE ?`, `email LIKE ?`);
    params.push(`${t}%`, `${t}%`, `${t}%`);
  }
  if (cardDigest !== null) {
    parts.push(`id IN (SELECT person_id FROM credentials WHERE credential_type_id = 5 AND digest = ?)`);
    params.push(cardDigest);
  }
  return parts.length === 0 ? { sql: '', params: [] } : { sql: `WHERE ${parts.join(' OR ')}`, params };
}

export function searchPeople(db: Db, q: PeopleSearch): PersonRow[] {
  const w = where(q.term, q.cardDigest);
  return db.prepare(`SELECT * FROM people ${w.sql} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...w.params, q.limit, q.offset) as PersonRow[];
}

export function countPeopleMatching(db: Db, term: string, cardDigest: string | null): number {
  const w = where(term, cardDigest);
  return (db.prepare(`SELECT count(*) AS n FROM people ${w.sql}`).get(...w.params) as { n: number }).n;
}

/** Events stored after `afterId`, oldest first, at most `limit`. */
export function eventsAfter(db: Db, afterId: number, limit: number): EventRow[] {
  return db.prepare(`SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as EventRow[];
}

/** The id of the newest event (0 when none). */
export function lastEventId(db: Db): number {
  return (db.prepare(`SELECT coalesce(max(id), 0) AS n FROM events`).get() as { n: number }).n;
}
