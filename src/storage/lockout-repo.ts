/** Persisted keypad lockouts and card backoffs, so a restart or power cut resumes the time still to serve. */
import { isClear, type PersistedLockout } from '../core/lockout.js';
import type { Db } from './database.js';

/** Rows are per door for its keypad (`door_id`), and per door reader for card backoff (`-door_id`). */
export const readerKey = (doorId: number) => -doorId;

interface Windows {
  failures?: number[];
  since_alarm?: number[];
  locked_age_ms?: number | null;
  level_age_ms?: number;
}

export class LockoutRepo {
  constructor(private readonly db: Db) {}

  all(): Map<number, PersistedLockout & { updated_at: string }> {
    const rows = this.db.prepare(`SELECT * FROM lockouts`).all() as {
      door_id: number;
      level: number;
      remaining_ms: number;
      windows: string;
      updated_at: string;
    }[];
    return new Map(rows.map((r) => [r.door_id, { ...fromRow(r), updated_at: r.updated_at }]));
  }

  save(key: number, p: PersistedLockout, now: string): void {
    if (isClear(p)) {
      this.db.prepare(`DELETE FROM lockouts WHERE door_id = ?`).run(key);
      return;
    }
    const windows: Windows = { failures: p.failureAgesMs, since_alarm: p.sinceAlarmAgesMs, locked_age_ms: p.lockedAgeMs, level_age_ms: p.levelAgeMs };
    this.db
      .prepare(
        `INSERT INTO lockouts (door_id, level, consecutive, remaining_ms, windows, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (door_id) DO UPDATE SET level = excluded.level, consecutive = excluded.consecutive,
           remaining_ms = excluded.remaining_ms, windows = excluded.windows, updated_at = excluded.updated_at`,
      )
      .run(key, p.level, p.failureAgesMs.length, p.remainingMs, JSON.stringify(windows), now);
  }

  clear(key: number): boolean {
    return this.db.prepare(`DELETE FROM lockouts WHERE door_id = ?`).run(key).changes === 1;
  }
}

function fromRow(r: { level: number; remaining_ms: number; windows: string }): PersistedLockout {
  let w: Windows = {};
  try {
    w = JSON.parse(r.windows) as Windows;
  } catch {
    // A damaged windows column keeps the level and the time still to serve, which are columns of their own.
  }
  const ages = (a: unknown) => (Array.isArray(a) ? a.filter((n): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0) : []);
  return {
    level: r.level,
    remainingMs: r.remaining_ms,
    failureAgesMs: ages(w.failures),
    sinceAlarmAgesMs: ages(w.since_alarm),
    lockedAgeMs: typeof w.locked_age_ms === 'number' ? w.locked_age_ms : null,
    // Rows from before the windows column: count the level as just set, so it decays from now on.
    levelAgeMs: typeof w.level_age_ms === 'number' ? w.level_age_ms : -r.remaining_ms,
  };
}
