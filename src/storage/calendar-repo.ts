/** Shifts and holidays: the site calendar, written by admins (CLI, API, config) and read by the doors. */
import type { Slot } from '../core/schedule.js';
import type { Holiday, Shift } from '../core/site-calendar.js';
import type { Db } from './database.js';

interface SlotJson {
  days: number;
  start_minute: number;
  end_minute: number;
}
const toJson = (slots: readonly Slot[]) => JSON.stringify(slots.map((s) => ({ days: s.days, start_minute: s.startMinute, end_minute: s.endMinute })));
function fromJson(text: string): Slot[] {
  try {
    return (JSON.parse(text) as SlotJson[]).map((s) => ({ days: s.days, startMinute: s.start_minute, endMinute: s.end_minute }));
  } catch {
    // Unreadable slots cover nothing: a shift never unlocks, a holiday is closed. Fail secure.
    return [];
  }
}

export class CalendarRepo {
  private readonly versionStatement;

  constructor(private readonly db: Db) {
    this.versionStatement = db.prepare(`SELECT version FROM calendar_version WHERE id = 1`);
  }

  /** Changes with every change to shifts or holidays (triggers in migrations.ts): a few microseconds to read. */
  version(): number {
    return (this.versionStatement.get() as { version: number } | undefined)?.version ?? -1;
  }

  shifts(): Shift[] {
    const rows = this.db.prepare(`SELECT * FROM shifts ORDER BY id`).all() as {
      id: number;
      name: string;
      slots: string;
      first_person_in: 0 | 1;
      last_to_leave: 0 | 1;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      slots: fromJson(r.slots),
      firstPersonIn: r.first_person_in === 1,
      lastToLeave: r.last_to_leave === 1,
    }));
  }

  shiftByName(name: string): Shift | undefined {
    return this.shifts().find((s) => s.name.toLowerCase() === name.toLowerCase());
  }

  addShift(s: Omit<Shift, 'id'>, now: string): number {
    return Number(
      this.db
        .prepare(`INSERT INTO shifts (name, slots, first_person_in, last_to_leave, created_at) VALUES (?, ?, ?, ?, ?)`)
        .run(s.name, toJson(s.slots), s.firstPersonIn ? 1 : 0, s.lastToLeave ? 1 : 0, now).lastInsertRowid,
    );
  }

  updateShift(id: number, s: Omit<Shift, 'id' | 'name'>): void {
    this.db
      .prepare(`UPDATE shifts SET slots = ?, first_person_in = ?, last_to_leave = ? WHERE id = ?`)
      .run(toJson(s.slots), s.firstPersonIn ? 1 : 0, s.lastToLeave ? 1 : 0, id);
  }

  deleteShift(id: number): boolean {
    return this.db.prepare(`DELETE FROM shifts WHERE id = ?`).run(id).changes === 1;
  }

  /** Doors whose auto-unlock names this shift (a shift in use is not deleted under them). */
  doorsUsingShift(id: number): number[] {
    return (this.db.prepare(`SELECT door_id FROM door_modes WHERE auto_unlock_shift_id = ? AND door_id > 0`).all(id) as { door_id: number }[]).map(
      (r) => r.door_id,
    );
  }

  holidays(): (Holiday & { uid: string | null })[] {
    const rows = this.db.prepare(`SELECT * FROM holidays ORDER BY date`).all() as {
      id: number;
      name: string;
      date: string;
      closed: 0 | 1;
      slots: string;
      uid: string | null;
    }[];
    return rows.map((r) => ({ id: r.id, name: r.name, date: r.date, closed: r.closed === 1, slots: fromJson(r.slots), uid: r.uid }));
  }

  /** Adds a holiday, or replaces the one on the same date. */
  putHoliday(h: Omit<Holiday, 'id'> & { uid?: string | null }, now: string): number {
    return Number(
      (
        this.db
          .prepare(
            `INSERT INTO holidays (name, date, closed, slots, uid, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (date) DO UPDATE SET name = excluded.name, closed = excluded.closed, slots = excluded.slots, uid = excluded.uid
             RETURNING id`,
          )
          .get(h.name, h.date, h.closed ? 1 : 0, toJson(h.slots), h.uid ?? null, now) as { id: number }
      ).id,
    );
  }

  deleteHoliday(id: number): boolean {
    return this.db.prepare(`DELETE FROM holidays WHERE id = ?`).run(id).changes === 1;
  }
}
