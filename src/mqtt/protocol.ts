/** Messages between the daemon and the MQTT publisher worker. */
import type { Command } from './commands.js';
import type { RefusalSummary } from './command-gate.js';

export type { DoorState } from '../door/door-views.js';
import type { DoorState } from '../door/door-views.js';

export interface CommandResult {
  command: string | null;
  accepted: boolean;
  reason?: string;
}

export type ToPublisher =
  | { type: 'wake' }
  | { type: 'state'; doorId: number; state: DoorState }
  | { type: 'status'; status: StatusExtras }
  | { type: 'command_result'; doorId: number; result: CommandResult }
  | { type: 'stop' };

export type FromPublisher =
  | { type: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; message: string }
  | { type: 'connection'; connected: boolean }
  | { type: 'backlog'; backlog: number; alarm: boolean }
  /** A command that passed every check in the worker, for the daemon to execute. */
  | { type: 'command'; doorId: number; command: Command }
  /** The refusals of one door summed over a second: stored as one command_refused event. */
  | { type: 'refused'; summary: RefusalSummary }
  | { type: 'stopped' };

/** What the daemon adds to the retained status topic: clock trust and the credential sync's health. */
export interface StatusExtras {
  clock_trusted: boolean;
  /** Storage in trouble, plainly ("the data dir is on a read-only file system"), or null. */
  storage_problem: string | null;
  last_sync: string | null;
  sync: { status: string; last_success_at: string | null; age_s: number | null; last_error: string | null } | null;
  /** The webhooks' delivery (null when the webhook service is not running). */
  webhooks?: { rules: number; retrying: number; failing: number; backlog: number; parked: number } | null;
}
