/** Persisted keypad lockouts, so a restart or power cut resumes the time still to serve. */
import type { PersistedLockout } from '../core/lockout.js';
import type { Db } from './database.js';

export class LockoutRepo {
  constructor(private readonly db: Db) {}

  all(): Map<number, PersistedLockout & { updated_at: string }> {
    const rows = this.db.prepare(`SELECT * FROM lockouts`).all() as {
      door_id: number;
      level: number;
      consecutive: number;
      remaining_ms: number;
      updated_at: string;
    }[];
    return new Map(rows.map((r) => [r.door_id, { level: r.level, consecutive: r.consecutive, remainingMs: r.remaining_ms, updated_at: r.updated_at }]));
  }

  save(doorId: number, p: PersistedLockout, now: string): void {
    if (p.level === 0 && p.consecutive === 0 && p.remainingMs === 0) {
      this.db.prepare(`DELETE FROM lockouts WHERE door_id = ?`).run(doorId);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO lockouts (door_id, level, consecutive, remaining_ms, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (door_id) DO UPDATE SET level = excluded.level, consecutive = excluded.consecutive,
           remaining_ms = excluded.remaining_ms, updated_at = excluded.updated_at`,
      )
      .run(doorId, p.level, p.consecutive, p.remainingMs, now);
  }

  clear(doorId: number): boolean {
    return this.db.prepare(`DELETE FROM lockouts WHERE door_id = ?`).run(doorId).changes === 1;
  }
}
