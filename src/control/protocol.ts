/**
 * The daemon's control socket: a unix socket in the data directory (owner and group only), one JSON request per
 * line, one JSON answer per line. Used by `keypadd sim ...` and `keypadd lockout ...` from another shell.
 */
import { join } from 'node:path';
import type { DoorCommand } from '../commands/door-commands.js';

export const controlSocketPath = (dataDir: string) => join(dataDir, 'control.sock');

export type ControlRequest =
  | { cmd: 'status' }
  | { cmd: 'lockout_list' }
  | { cmd: 'lockout_reset'; door: number; source: string }
  | { cmd: 'sync_run'; force?: boolean; full?: boolean }
  /** A site operation (lockdown, unlock until, auto-unlock...) run through the command table; `source` names the admin. */
  | { cmd: 'door_command'; command: DoorCommand; source: string }
  | { cmd: 'sim_key'; door: number; keys: string }
  | { cmd: 'sim_card'; door: number; number: string }
  | { cmd: 'sim_door'; door: number; open: boolean }
  | { cmd: 'sim_rex'; door: number }
  | { cmd: 'sim_wiegand'; door: number; bits: string; interval_ms?: number }
  | { cmd: 'sim_tamper'; door: number; on: boolean }
  | { cmd: 'sim_hang'; door: number; ms: number }
  | { cmd: 'sim_crash'; door: number };

export type ControlResponse = { ok: true; result?: unknown } | { ok: false; error: string };
