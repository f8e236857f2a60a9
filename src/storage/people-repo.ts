/** SQL for people. No rules here: the admin layer validates before it writes. */
import type { Db } from './database.js';
import { where } from './where.js';

export interface PersonRow {
  /** Set on rows synced from the upstream (read-only here); absent or null on rows made locally. */
  upstream_id?: number | null;
  id: number;
  first_name: string;
  last_name: string;
  email: string | null;
  enabled: 0 | 1;
  valid_from: string | null;
  valid_to: string | null;
  notes: string | null;
  /** An emergency credential holder: let through a lockdown (absent on rows built before the column). */
  emergency?: 0 | 1;
  /** The person's own unlock time in seconds; null: the door's (absent on rows built before the column). */
  unlock_seconds?: number | null;
  created_at: string;
  updated_at: string;
}

export type NewPerson = Omit<PersonRow, 'id'>;

export class PeopleRepo {
  constructor(private readonly db: Db) {}

  insert(p: NewPerson): PersonRow {
    const info = this.db
      .prepare(
        `INSERT INTO people (first_name, last_name, email, enabled, valid_from, valid_to, notes, created_at, updated_at)
         VALUES (@first_name, @last_name, @email, @enabled, @valid_from, @valid_to, @notes, @created_at, @updated_at)`,
      )
      .run(p);
    return { id: Number(info.lastInsertRowid), ...p };
  }

  get(id: number): PersonRow | undefined {
    return this.db.prepare(`SELECT * FROM people WHERE id = ?`).get(id) as PersonRow | undefined;
  }

  byEmail(email: string): PersonRow | undefined {
    return this.db.prepare(`SELECT * FROM people WHERE lower(email) = lower(?)`).get(email) as PersonRow | undefined;
  }

  list(filter: { email?: string | undefined; updatedSince?: string | undefined; limit: number; offset: number }): PersonRow[] {
    const w = this.filter(filter);
    return this.db.prepare(`SELECT * FROM people ${w.sql} ORDER BY id LIMIT ? OFFSET ?`).all(...w.params, filter.limit, filter.offset) as PersonRow[];
  }

  count(filter: { email?: string | undefined; updatedSince?: string | undefined } = {}): number {
    const w = this.filter(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM people ${w.sql}`).get(...w.params) as { n: number }).n;
  }

  private filter(f: { email?: string | undefined; updatedSince?: string | undefined }) {
    return where([
      ['lower(email) = lower(?)', f.email],
      ['updated_at >= ?', f.updatedSince],
    ]);
  }

  update(id: number, p: Omit<PersonRow, 'id' | 'created_at'>): void {
    this.db
      .prepare(
        `UPDATE people SET first_name = @first_name, last_name = @last_name, email = @email, enabled = @enabled,
           valid_from = @valid_from, valid_to = @valid_to, notes = @notes, updated_at = @updated_at WHERE id = @id`,
      )
      .run({ ...p, id });
  }

  setEmergency(id: number, emergency: boolean, now: string): boolean {
    return this.db.prepare(`UPDATE people SET emergency = ?, updated_at = ? WHERE id = ?`).run(emergency ? 1 : 0, now, id).changes === 1;
  }

  setUnlockSeconds(id: number, seconds: number | null, now: string): boolean {
    return this.db.prepare(`UPDATE people SET unlock_seconds = ?, updated_at = ? WHERE id = ?`).run(seconds, now, id).changes === 1;
  }

  setEnabled(id: number, enabled: boolean, now: string): boolean {
    return this.db.prepare(`UPDATE people SET enabled = ?, updated_at = ? WHERE id = ?`).run(enabled ? 1 : 0, now, id).changes === 1;
  }

  delete(id: number): boolean {
    return this.db.prepare(`DELETE FROM people WHERE id = ?`).run(id).changes === 1;
  }

  /** The upstream ids of every synced person, one by one (a delta pull keeps 100,000 of them as numbers, not rows). */
  *upstreamIds(): Generator<number> {
    for (const row of this.db.prepare(`SELECT upstream_id FROM people WHERE upstream_id IS NOT NULL`).iterate() as Iterable<{ upstream_id: number }>)
      yield row.upstream_id;
  }
}
