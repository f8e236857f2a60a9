/** Messages between the daemon and the API worker. */
import type { DoorCommand } from '../commands/door-commands.js';
import type { NewEvent } from '../storage/event-repo.js';

/**
 * What the worker asks of the doors: the channels, or a door command run through the command table, answered with
 * the command's result and the channel after it. A refused command answers 409 (a state: locked down) or 422 (a
 * field, named first in the reason: "relock_at: must be in the future").
 */
export type ChannelRequest =
  | { op: 'list' }
  | { op: 'get'; id: number }
  | { op: 'command'; id: number; command: Extract<DoorCommand, { door: number }>; source: string }
  /** POST /api/3/sync: start a pull from the upstream now (answered at once; the pull's outcome is its own event). */
  | { op: 'sync'; source: string };

/** A command's answer: its result (admit_person's decision) and the channel after it. */
export interface CommandAnswer {
  result: unknown;
  channel: Record<string, unknown>;
}

export type FromApi =
  | { type: 'log'; level: 'error' | 'warn' | 'info'; message: string }
  | { type: 'listening'; url: string }
  /** The console's server is up (web.enabled). */
  | { type: 'web_listening'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'channel'; id: number; call: ChannelRequest }
  /** An event of the API's own (a PIN probe), for the daemon's writer. */
  | { type: 'event'; event: NewEvent };

export type ToApi =
  | { type: 'channel_result'; id: number; ok: true; result: unknown }
  | { type: 'channel_result'; id: number; ok: false; status: number; body: unknown }
  | { type: 'stop' };
