/**
 * What sync knows about itself, kept in the database (meta 'sync_state') so that `keypadd sync status`, the API's
 * account and a restarted daemon all see the same thing. The success fields are written in the same transaction
 * as the data they describe.
 */
import type { Db } from './database.js';
import type { Change } from './sync-apply.js';

export interface SyncCounts {
  people: Change;
  credentials: Change;
  reservations: Change;
  roles: Change;
  /** Absent in counts stored before groups were synced. */
  groups?: Change;
  group_reservations?: Change;
  /** Records refused (bad or duplicate), by "kind.field: reason". */
  skipped: number;
  skipped_reasons: Record<string, number>;
  /** Records not for this controller: reservations for unmapped channels, credentials of people not synced here. */
  ignored: number;
  clashes: number;
}

export interface SyncState {
  /** DoorFlow's account.sync.status words: complete, failing, syncing, pending (never run). */
  status: 'pending' | 'syncing' | 'complete' | 'failing';
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_full_at: string | null;
  /** since_utc for the next incremental pull: when the last good pull began, less a margin for clock skew. */
  since_base: string | null;
  last_mode: 'full' | 'incremental' | null;
  last_counts: SyncCounts | null;
  last_error: string | null;
  last_error_kind: string | null;
  consecutive_failures: number;
  /** Fingerprint of sync.doors and sync.shifts at the last good pull; a change makes the next pull full. */
  mapping: string | null;
  /** Set while the cache is older than sync.max_age_h and the alarm has been raised. */
  stale_since: string | null;
}

export const INITIAL_STATE: SyncState = {
  status: 'pending',
  last_attempt_at: null,
  last_success_at: null,
  last_full_at: null,
  since_base: null,
  last_mode: null,
  last_counts: null,
  last_error: null,
  last_error_kind: null,
  consecutive_failures: 0,
  mapping: null,
  stale_since: null,
};

export function readSyncState(db: Db): SyncState {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'sync_state'`).get() as { value: string } | undefined;
  if (!row) return { ...INITIAL_STATE };
  try {
    return { ...INITIAL_STATE, ...(JSON.parse(row.value) as Partial<SyncState>) };
  } catch {
    return { ...INITIAL_STATE };
  }
}

export function writeSyncState(db: Db, s: SyncState): void {
  db.prepare(`INSERT INTO meta (key, value) VALUES ('sync_state', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(JSON.stringify(s));
}

/** The status view: `keypadd sync status`, the MQTT status topic and STATUS=. */
export function syncSummary(
  s: SyncState,
  nowMs: number,
): { status: SyncState['status']; last_success_at: string | null; age_s: number | null; last_error: string | null } {
  return {
    status: s.status,
    last_success_at: s.last_success_at,
    age_s: s.last_success_at ? Math.max(0, Math.round((nowMs - Date.parse(s.last_success_at)) / 1000)) : null,
    last_error: s.last_error,
  };
}
