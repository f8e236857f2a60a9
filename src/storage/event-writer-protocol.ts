/** Messages between the daemon and the event writer worker. */
import type { PersistedLockout } from '../core/lockout.js';
import type { EventRow, NewEvent } from './event-repo.js';

/** Published events older than `days` are pruned; with MQTT off (`onlyPublished` false), all older events. */
export interface RetentionPolicy {
  days: number;
  onlyPublished: boolean;
}

export type ToWorker =
  | { type: 'event'; ref: number; event: NewEvent }
  | { type: 'lockout'; doorId: number; state: PersistedLockout; now: string }
  | { type: 'flush'; token: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'recorded'; ref: number; row: EventRow }
  /** What one commit stored, in order. */
  | { type: 'recorded_batch'; items: { ref: number; row: EventRow }[] }
  | { type: 'flushed'; token: number }
  | { type: 'error'; message: string }
  | { type: 'pruned'; count: number }
  /** A message that cannot be stored whatever the retries (a bug, not a busy disk). */
  | { type: 'rejected'; ref: number | null; message: string };
