/**
 * The console's reads: a people search that stays quick at 100,000 people (by id, newest first, so a page is an
 * index walk; a term is matched in names and email, or exactly as a card number), and the events after an id for
 * the live feed.
 */
import type { Db } from './database.js';
import type { EventRow } from './event-repo.js';
import type { PersonRow } from './people-repo.js';

export interface PeopleSearch {
  /** Words matched anywhere in the name or email, or a whole card number; empty: everyone. */
  term: string;
  limit: number;
  offset: number;
}

const like = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function where(term: string): { sql: string; params: unknown[] } {
  const t = term.trim();
  if (t === '') return { sql: '', params: [] };
  return {
    sql: `WHERE (first_name || ' ' || last_name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'
          OR id IN (SELECT person_id FROM credentials WHERE credential_type_id = 5 AND value = ?)`,
    params: [like(t), like(t), t],
  };
}

export function searchPeople(db: Db, q: PeopleSearch): PersonRow[] {
  const w = where(q.term);
  return db.prepare(`SELECT * FROM people ${w.sql} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...w.params, q.limit, q.offset) as PersonRow[];
}

export function countPeopleMatching(db: Db, term: string): number {
  const w = where(term);
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
