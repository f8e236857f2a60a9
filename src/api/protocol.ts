/** Messages between the daemon and the API worker. */
import type { DoorCommand } from '../commands/door-commands.js';
import type { NewEvent } from '../storage/event-repo.js';

export type ChannelRequest =
  | { op: 'list' }
  | { op: 'get'; id: number }
  | { op: 'admit' | 'unlock' | 'normal'; id: number; source: string }
  /** Any door command of the table (the console's unlock for N minutes, lockout reset); answers the door's view. */
  | { op: 'command'; command: Extract<DoorCommand, { door: number }>; source: string };

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
