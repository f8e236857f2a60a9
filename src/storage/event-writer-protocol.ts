/** Messages between the daemon and the event writer worker. */
import type { PersistedLockout } from '../core/lockout.js';
import type { EventRow, NewEvent } from './event-repo.js';
import type { PersistedDoorMode } from './door-mode-repo.js';

export interface WriterData {
  dataDir: string;
  /** Where events go that the database will not take (storage/spool.ts). */
  spoolDir: string;
  /** The data dir is on a read-only file system: spool everything, touch nothing in it. */
  readonly: boolean;
  /** Size of the disk reserve (storage/reserve.ts) freed when the disk is full; 0 for none. */
  reserveBytes: number;
  /** Events past this age are pruned, only those every listed outbox has delivered (storage/prune.ts). */
  retention: { days: number; outboxes: readonly string[]; outboxPrefixes?: readonly string[] };
  /**
   * How long another connection may hold the write lock (a sync applying a large pull: 21-22 s at a million people)
   * before storage is reported failing; meanwhile events go to the spool and storage is only "busy". Default 120 s.
   */
  busyAlarmMs?: number;
}

export type ToWorker =
  | { type: 'event'; ref: number; event: NewEvent }
  | { type: 'lockout'; doorId: number; state: PersistedLockout; now: string }
  /** A door's (or, key 0, the site's) mode: lockdown, unlock mode, auto-unlock (storage/door-mode-repo.ts). */
  | { type: 'door_mode'; key: number; mode: PersistedDoorMode; now: string }
  | { type: 'flush'; token: number }
  /** Prune past the retention, by a time the daemon trusts (it sends none while its clock is not trusted). */
  | { type: 'prune'; nowMs: number }
  /** Store what can be stored within `budgetMs`, spool the rest, then close. */
  | { type: 'close'; budgetMs: number };

export type FromWorker =
  | { type: 'ready' }
  /**
   * What one commit stored, in order. `ref` -1 marks an event replayed from the spool, which the daemon no longer
   * holds (it let go of it once spooled).
   */
  | { type: 'recorded_batch'; items: { ref: number; row: EventRow }[] }
  /** Durable in the database or the spool: everything sent before the flush. */
  | { type: 'flushed'; token: number }
  /** These events (and the lockouts sent with them) are in the spool: the daemon may let go of them. */
  | { type: 'spooled'; refs: number[]; reason: string }
  /**
   * The database refused writes (`reason` says why, plainly), or takes them again (reason null). `busy`: it refused
   * only because another connection holds the write lock, for less than `busyAlarmMs` so far (not a failure yet).
   */
  | { type: 'storage'; failing: boolean; reason: string | null; busy?: boolean }
  /** Neither the database nor the spool took the events: they stay with the daemon and are sent again. */
  | { type: 'error'; message: string }
  /** The disk was full, and the reserve was freed to make room. */
  | { type: 'reserve_released'; bytes: number }
  | { type: 'replayed'; events: number; lockouts: number; damaged: number }
  | { type: 'pruned'; count: number; due: number; limit: number }
  | { type: 'closed'; stored: number; spooled: number; lost: number }
  /** A message that cannot be stored whatever the retries (a bug, not a busy disk). */
  | { type: 'rejected'; ref: number | null; message: string };
