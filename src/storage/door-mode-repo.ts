/**
 * Each door's mode as it must survive a restart or a power cut: its lockdown, DoorFlow's unlock mode (held, until
 * relock_at), its auto-unlock shift and where that shift stands. Row 0 is the site (a site-wide lockdown). Written by
 * the event writer's worker (never the main thread), read once at start.
 */
import type { AutoUnlockPhase } from '../core/auto-unlock.js';
import type { LockdownState } from '../core/site-calendar.js';
import type { Db } from './database.js';

/** The key of the site's own row. */
export const SITE_KEY = 0;

export interface PersistedDoorMode {
  lockdown: LockdownState | null;
  lockdownSource: string | null;
  held: boolean;
  relockAt: string | null;
  changeStamp: string | null;
  autoUnlockShiftId: number | null;
  autoPhase: AutoUnlockPhase;
  autoSince: string | null;
}

export const EMPTY_MODE: PersistedDoorMode = {
  lockdown: null,
  lockdownSource: null,
  held: false,
  relockAt: null,
  changeStamp: null,
  autoUnlockShiftId: null,
  autoPhase: 'idle',
  autoSince: null,
};

interface Row {
  door_id: number;
  lockdown: string | null;
  lockdown_source: string | null;
  held: 0 | 1;
  relock_at: string | null;
  change_stamp: string | null;
  auto_unlock_shift_id: number | null;
  auto_phase: AutoUnlockPhase;
  auto_since: string | null;
}

export class DoorModeRepo {
  constructor(private readonly db: Db) {}

  all(): Map<number, PersistedDoorMode> {
    const rows = this.db.prepare(`SELECT * FROM door_modes`).all() as Row[];
    return new Map(rows.map((r) => [r.door_id, fromRow(r)]));
  }

  save(key: number, m: PersistedDoorMode, now: string): void {
    this.db
      .prepare(
        `INSERT INTO door_modes (door_id, lockdown, lockdown_source, held, relock_at, change_stamp, auto_unlock_shift_id, auto_phase, auto_since, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (door_id) DO UPDATE SET lockdown = excluded.lockdown, lockdown_source = excluded.lockdown_source,
           held = excluded.held, relock_at = excluded.relock_at, change_stamp = excluded.change_stamp,
           auto_unlock_shift_id = excluded.auto_unlock_shift_id, auto_phase = excluded.auto_phase,
           auto_since = excluded.auto_since, updated_at = excluded.updated_at`,
      )
      .run(
        key,
        m.lockdown ? JSON.stringify(m.lockdown) : null,
        m.lockdownSource,
        m.held ? 1 : 0,
        m.relockAt,
        m.changeStamp,
        m.autoUnlockShiftId,
        m.autoPhase,
        m.autoSince,
        now,
      );
  }
}

function fromRow(r: Row): PersistedDoorMode {
  let lockdown: LockdownState | null = null;
  if (r.lockdown !== null) {
    try {
      const l = JSON.parse(r.lockdown) as Partial<LockdownState>;
      lockdown = { card: l.card === true, rex: l.rex === true, aux: l.aux === true };
    } catch {
      // A lockdown that cannot be read is kept as a full lockdown: failing secure beats opening the door.
      lockdown = { card: true, rex: false, aux: true };
    }
  }
  return {
    lockdown,
    lockdownSource: r.lockdown_source,
    held: r.held === 1,
    relockAt: r.relock_at,
    changeStamp: r.change_stamp,
    autoUnlockShiftId: r.auto_unlock_shift_id,
    autoPhase: r.auto_phase,
    autoSince: r.auto_since,
  };
}
