/** Messages between the daemon and the API worker. */
import type { NewEvent } from '../storage/event-repo.js';

export type ChannelRequest =
  | { op: 'list' }
  | { op: 'get'; id: number }
  | { op: 'admit' | 'unlock' | 'normal'; id: number; source: string }
  /** POST /api/3/sync: start a pull from the upstream now (answered at once; the pull's outcome is its own event). */
  | { op: 'sync'; source: string };

export type FromApi =
  | { type: 'log'; level: 'error' | 'warn' | 'info'; message: string }
  | { type: 'listening'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'channel'; id: number; call: ChannelRequest }
  /** An event of the API's own (a PIN probe), for the daemon's writer. */
  | { type: 'event'; event: NewEvent };

export type ToApi =
  | { type: 'channel_result'; id: number; ok: true; result: unknown }
  | { type: 'channel_result'; id: number; ok: false; status: number; body: unknown }
  | { type: 'stop' };
