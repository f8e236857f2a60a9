/** SQL for reservations: time-limited access for a person, at some doors or (no door rows) all of them. */
import type { Db } from './database.js';
import { where } from './where.js';

export interface ReservationRow {
  /** Set on rows synced from the upstream (read-only here); absent or null on rows made locally. */
  upstream_id?: number | null;
  id: number;
  person_id: number;
  start_time: string;
  end_time: string;
  /** Empty means every door. */
  door_ids: number[];
  created_at: string;
  updated_at: string;
}

export class ReservationRepo {
  constructor(private readonly db: Db) {}

  insert(r: Omit<ReservationRow, 'id'>): ReservationRow {
    return this.db.transaction(() => {
      const info = this.db
        .prepare(`INSERT INTO reservations (person_id, start_time, end_time, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`)
        .run(r.person_id, r.start_time, r.end_time, r.created_at, r.updated_at);
      const id = Number(info.lastInsertRowid);
      const door = this.db.prepare(`INSERT INTO reservation_doors (reservation_id, door_id) VALUES (?, ?)`);
      for (const d of r.door_ids) door.run(id, d);
      return { id, ...r };
    })();
  }

  get(id: number): ReservationRow | undefined {
    const row = this.db.prepare(`SELECT * FROM reservations WHERE id = ?`).get(id) as Omit<ReservationRow, 'door_ids'> | undefined;
    return row && { ...row, door_ids: this.doorIds(row.id) };
  }

  /** Reservations that end after `endsAfter` (current and future ones), oldest start first. */
  list(filter: { endsAfter?: string | undefined; personId?: number | undefined; limit: number; offset: number }): ReservationRow[] {
    const w = where([
      ['end_time > ?', filter.endsAfter],
      ['person_id = ?', filter.personId],
    ]);
    const rows = this.db
      .prepare(`SELECT * FROM reservations ${w.sql} ORDER BY start_time, id LIMIT ? OFFSET ?`)
      .all(...w.params, filter.limit, filter.offset) as Omit<ReservationRow, 'door_ids'>[];
    return rows.map((row) => ({ ...row, door_ids: this.doorIds(row.id) }));
  }

  delete(id: number): boolean {
    return this.db.prepare(`DELETE FROM reservations WHERE id = ?`).run(id).changes === 1;
  }

  private doorIds(id: number): number[] {
    return (this.db.prepare(`SELECT door_id FROM reservation_doors WHERE reservation_id = ? ORDER BY door_id`).all(id) as { door_id: number }[]).map(
      (r) => r.door_id,
    );
  }
}
