/** Messages between the daemon and the MQTT publisher worker. */
import type { Command } from './commands.js';
import type { RefusalSummary } from './command-gate.js';
import type { ConnectionSettings } from './connection.js';
import type { DiscoveryDoor } from './discovery.js';

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

/** What the publisher worker is started with (workerData: plain data, structured-cloned across the thread). */
export interface PublisherData {
  dataDir: string;
  settings: ConnectionSettings;
  baseTopic: string;
  nodeId: string;
  doors: DiscoveryDoor[];
  homeassistant: boolean;
  /** mqtt.homeassistant.require_code: an unlock must carry a code (the daemon checks it as a PIN). */
  requireCode: boolean;
  commands: boolean;
  /** Signed commands only (mqtt.command_auth: hmac): the shared key, and the largest clock difference allowed. */
  commandAuth: { key: Uint8Array; maxAgeMs: number } | null;
  /** How often the retained state is published again even when it has not changed (a forged one is overwritten). */
  stateRefreshMs: number;
  discoveryPrefix: string;
  backlogAlarm: number;
  version: string;
  /** The data dir is read-only: the cursor is kept in memory (a restart repeats events, which QoS 1 allows). */
  readonly: boolean;
}
