/**
 * SQL for groups (DoorFlow's): doors (no rows = all) and weekly slots (no rows = 24/7), exactly as a role has them,
 * standing membership (`person_groups`), and group reservations (a membership between two times, in one or more
 * groups). The decision reads all of it through access-repo.ts.
 */
import type { Slot } from '../core/schedule.js';
import type { Db } from './database.js';
import { where } from './where.js';

export interface GroupRow {
  id: number;
  name: string;
  notes: string | null;
  /** Set on groups pulled from the upstream (read-only here); null on groups made locally. */
  upstream_id: number | null;
  doors: number[];
  slots: Slot[];
  created_at: string;
  updated_at: string;
}

export interface GroupReservationRow {
  id: number;
  person_id: number;
  start_time: string;
  end_time: string;
  /** Set when it was deleted while active: it grants nothing from then on. */
  deactivated_at: string | null;
  upstream_id: number | null;
  group_ids: number[];
  created_at: string;
  updated_at: string;
}

interface ReservationFilter {
  endsAfter?: string | undefined;
  updatedSince?: string | undefined;
}

function reservationWhere(f: ReservationFilter): { sql: string; params: string[] } {
  const w = where([
    ['end_time > ? AND deactivated_at IS NULL', f.endsAfter],
    ['updated_at >= ?', f.updatedSince],
  ]);
  return { sql: w.sql, params: w.params as string[] };
}

type Bare<T> = Omit<T, 'doors' | 'slots' | 'group_ids'>;

export class GroupRepo {
  constructor(private readonly db: Db) {}

  insert(g: Omit<GroupRow, 'id'>): GroupRow {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(`INSERT INTO access_groups (name, notes, upstream_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`)
          .run(g.name, g.notes, g.upstream_id, g.created_at, g.updated_at).lastInsertRowid,
      );
      this.writeSchedule(id, g.doors, g.slots);
      return { id, ...g };
    })();
  }

  /** Replaces a group's name, notes, doors and slots (the sync's update of an upstream group). */
  update(id: number, g: Pick<GroupRow, 'name' | 'notes' | 'doors' | 'slots' | 'updated_at'>): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE access_groups SET name = ?, notes = ?, updated_at = ? WHERE id = ?`).run(g.name, g.notes, g.updated_at, id);
      this.db.prepare(`DELETE FROM group_doors WHERE group_id = ?`).run(id);
      this.db.prepare(`DELETE FROM group_slots WHERE group_id = ?`).run(id);
      this.writeSchedule(id, g.doors, g.slots);
    })();
  }

  get(id: number): GroupRow | undefined {
    const row = this.db.prepare(`SELECT * FROM access_groups WHERE id = ?`).get(id) as Bare<GroupRow> | undefined;
    return row && this.complete(row);
  }

  byName(name: string): GroupRow | undefined {
    const row = this.db.prepare(`SELECT * FROM access_groups WHERE name = ?`).get(name) as Bare<GroupRow> | undefined;
    return row && this.complete(row);
  }

  byUpstream(upstreamId: number): GroupRow | undefined {
    const row = this.db.prepare(`SELECT * FROM access_groups WHERE upstream_id = ?`).get(upstreamId) as Bare<GroupRow> | undefined;
    return row && this.complete(row);
  }

  /** Ordered by name, as DoorFlow lists them. */
  list(): GroupRow[] {
    return (this.db.prepare(`SELECT * FROM access_groups ORDER BY name, id`).all() as Bare<GroupRow>[]).map((r) => this.complete(r));
  }

  delete(id: number): boolean {
    return this.db.prepare(`DELETE FROM access_groups WHERE id = ?`).run(id).changes === 1;
  }

  /** How many people are standing members. */
  members(groupId: number): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM person_groups WHERE group_id = ?`).get(groupId) as { n: number }).n;
  }

  /** The person's standing group ids, ascending. */
  groupsOf(personId: number): number[] {
    return (this.db.prepare(`SELECT group_id FROM person_groups WHERE person_id = ? ORDER BY group_id`).all(personId) as { group_id: number }[]).map(
      (r) => r.group_id,
    );
  }

  /** Makes the person's standing groups exactly these. Call inside the transaction that checked them. */
  replaceMembership(personId: number, groupIds: readonly number[]): void {
    this.db.prepare(`DELETE FROM person_groups WHERE person_id = ?`).run(personId);
    const add = this.db.prepare(`INSERT OR IGNORE INTO person_groups (person_id, group_id) VALUES (?, ?)`);
    for (const g of groupIds) add.run(personId, g);
  }

  insertReservation(r: Omit<GroupReservationRow, 'id'>): GroupReservationRow {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO group_reservations (person_id, start_time, end_time, deactivated_at, upstream_id, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(r.person_id, r.start_time, r.end_time, r.deactivated_at, r.upstream_id, r.created_at, r.updated_at).lastInsertRowid,
      );
      const add = this.db.prepare(`INSERT OR IGNORE INTO group_reservation_groups (reservation_id, group_id) VALUES (?, ?)`);
      for (const g of r.group_ids) add.run(id, g);
      return { id, ...r };
    })();
  }

  getReservation(id: number): GroupReservationRow | undefined {
    const row = this.db.prepare(`SELECT * FROM group_reservations WHERE id = ?`).get(id) as Bare<GroupReservationRow> | undefined;
    return row && { ...row, group_ids: this.reservationGroups(row.id) };
  }

  byUpstreamReservation(upstreamId: number): GroupReservationRow | undefined {
    const row = this.db.prepare(`SELECT * FROM group_reservations WHERE upstream_id = ?`).get(upstreamId) as Bare<GroupReservationRow> | undefined;
    return row && { ...row, group_ids: this.reservationGroups(row.id) };
  }

  /** Present and future reservations (ending after `endsAfter`, not deactivated), or all; oldest start first. */
  listReservations(filter: ReservationFilter & { limit: number; offset: number }): GroupReservationRow[] {
    const w = reservationWhere(filter);
    const rows = this.db
      .prepare(`SELECT * FROM group_reservations ${w.sql} ORDER BY start_time, id LIMIT ? OFFSET ?`)
      .all(...w.params, filter.limit, filter.offset) as Bare<GroupReservationRow>[];
    return rows.map((row) => ({ ...row, group_ids: this.reservationGroups(row.id) }));
  }

  countReservations(filter: ReservationFilter): number {
    const w = reservationWhere(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM group_reservations ${w.sql}`).get(...w.params) as { n: number }).n;
  }

  deactivateReservation(id: number, at: string): void {
    this.db.prepare(`UPDATE group_reservations SET deactivated_at = ?, updated_at = ? WHERE id = ?`).run(at, at, id);
  }

  deleteReservation(id: number): boolean {
    return this.db.prepare(`DELETE FROM group_reservations WHERE id = ?`).run(id).changes === 1;
  }

  private reservationGroups(id: number): number[] {
    return (
      this.db.prepare(`SELECT group_id FROM group_reservation_groups WHERE reservation_id = ? ORDER BY group_id`).all(id) as { group_id: number }[]
    ).map((r) => r.group_id);
  }

  private writeSchedule(id: number, doors: readonly number[], slots: readonly Slot[]): void {
    const door = this.db.prepare(`INSERT OR IGNORE INTO group_doors (group_id, door_id) VALUES (?, ?)`);
    for (const d of doors) door.run(id, d);
    const slot = this.db.prepare(`INSERT INTO group_slots (group_id, days, start_minute, end_minute) VALUES (?, ?, ?, ?)`);
    for (const s of slots) slot.run(id, s.days, s.startMinute, s.endMinute);
  }

  private complete(row: Bare<GroupRow>): GroupRow {
    const doors = (this.db.prepare(`SELECT door_id FROM group_doors WHERE group_id = ? ORDER BY door_id`).all(row.id) as { door_id: number }[]).map(
      (d) => d.door_id,
    );
    const slots = (
      this.db.prepare(`SELECT days, start_minute, end_minute FROM group_slots WHERE group_id = ? ORDER BY id`).all(row.id) as {
        days: number;
        start_minute: number;
        end_minute: number;
      }[]
    ).map((s) => ({ days: s.days, startMinute: s.start_minute, endMinute: s.end_minute }));
    return { ...row, doors, slots };
  }
}
