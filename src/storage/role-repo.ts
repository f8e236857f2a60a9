/** SQL for roles: doors (no rows = all) and weekly slots (no rows = 24/7), and who holds them. */
import type { Slot } from '../core/schedule.js';
import type { Db } from './database.js';

export interface RoleRow {
  /** Set on rows synced from the upstream (read-only here); absent or null on rows made locally. */
  upstream_id?: string | null;
  id: number;
  name: string;
  builtin: 0 | 1;
  doors: number[];
  slots: Slot[];
  created_at: string;
  updated_at: string;
}

interface SlotRow {
  days: number;
  start_minute: number;
  end_minute: number;
}

export class RoleRepo {
  constructor(private readonly db: Db) {}

  insert(r: Omit<RoleRow, 'id' | 'builtin'>): RoleRow {
    return this.db.transaction(() => {
      const id = Number(
        this.db.prepare(`INSERT INTO roles (name, created_at, updated_at) VALUES (?, ?, ?)`).run(r.name, r.created_at, r.updated_at).lastInsertRowid,
      );
      for (const d of r.doors) this.db.prepare(`INSERT INTO role_doors (role_id, door_id) VALUES (?, ?)`).run(id, d);
      for (const s of r.slots) {
        this.db
          .prepare(`INSERT INTO role_slots (role_id, days, start_minute, end_minute) VALUES (?, ?, ?, ?)`)
          .run(id, s.days, s.startMinute, s.endMinute);
      }
      return { id, builtin: 0 as const, ...r };
    })();
  }

  /** Replaces a role's name, doors and slots (memberships untouched); the caller holds the transaction. */
  replace(id: number, r: Pick<RoleRow, 'name' | 'doors' | 'slots' | 'updated_at'>): void {
    this.db.prepare(`UPDATE roles SET name = ?, updated_at = ? WHERE id = ?`).run(r.name, r.updated_at, id);
    this.db.prepare(`DELETE FROM role_doors WHERE role_id = ?`).run(id);
    this.db.prepare(`DELETE FROM role_slots WHERE role_id = ?`).run(id);
    for (const d of r.doors) this.db.prepare(`INSERT INTO role_doors (role_id, door_id) VALUES (?, ?)`).run(id, d);
    for (const s of r.slots) {
      this.db
        .prepare(`INSERT INTO role_slots (role_id, days, start_minute, end_minute) VALUES (?, ?, ?, ?)`)
        .run(id, s.days, s.startMinute, s.endMinute);
    }
  }

  get(id: number): RoleRow | undefined {
    const row = this.db.prepare(`SELECT * FROM roles WHERE id = ?`).get(id) as Omit<RoleRow, 'doors' | 'slots'> | undefined;
    return row && this.complete(row);
  }

  byName(name: string): RoleRow | undefined {
    const row = this.db.prepare(`SELECT * FROM roles WHERE name = ?`).get(name) as Omit<RoleRow, 'doors' | 'slots'> | undefined;
    return row && this.complete(row);
  }

  list(): RoleRow[] {
    return (this.db.prepare(`SELECT * FROM roles ORDER BY id`).all() as Omit<RoleRow, 'doors' | 'slots'>[]).map((r) => this.complete(r));
  }

  delete(id: number): boolean {
    return this.db.prepare(`DELETE FROM roles WHERE id = ?`).run(id).changes === 1;
  }

  private complete(row: Omit<RoleRow, 'doors' | 'slots'>): RoleRow {
    const doors = (this.db.prepare(`SELECT door_id FROM role_doors WHERE role_id = ? ORDER BY door_id`).all(row.id) as { door_id: number }[]).map(
      (d) => d.door_id,
    );
    const slots = (
      this.db.prepare(`SELECT days, start_minute, end_minute FROM role_slots WHERE role_id = ? ORDER BY id`).all(row.id) as SlotRow[]
    ).map((s) => ({ days: s.days, startMinute: s.start_minute, endMinute: s.end_minute }));
    return { ...row, doors, slots };
  }
}
