/** Messages between the daemon and the sync worker. */
import type { NewEvent } from '../storage/event-repo.js';
import type { PullOptions, PullResult } from './puller.js';
import type { SyncState } from '../storage/sync-state.js';

export type ToSync = { type: 'run'; id: number; opts: PullOptions } | { type: 'stop' };

export type FromSync =
  | { type: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; message: string }
  | { type: 'event'; event: NewEvent }
  | { type: 'state'; state: SyncState }
  | { type: 'result'; id: number; result: PullResult };
