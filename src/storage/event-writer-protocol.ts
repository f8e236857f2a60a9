/** Messages between the daemon and the event writer worker. */
import type { PersistedLockout } from '../core/lockout.js';
import type { EventRow, NewEvent } from './event-repo.js';

export type ToWorker =
  | { type: 'event'; ref: number; event: NewEvent }
  | { type: 'lockout'; doorId: number; state: PersistedLockout; now: string }
  | { type: 'flush'; token: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'recorded'; ref: number; row: EventRow }
  | { type: 'flushed'; token: number }
  | { type: 'error'; message: string }
  /** A message that cannot be stored whatever the retries (a bug, not a busy disk). */
  | { type: 'rejected'; ref: number | null; message: string };
