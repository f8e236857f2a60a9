/**
 * What the control socket answers (`keypadd status`, `lockout`, `sync run`, `sim ...`): status from the daemon, every
 * change through the one command table, the simulated door's controls for `--sim`.
 */
import { runCommand, type CommandContext } from '../commands/door-commands.js';
import type { DoorStatus } from '../door/door-controller.js';
import type { ControlHandler } from './server.js';
import { handleSim, type SimDoor } from './sim-handlers.js';

export interface ControlDeps {
  /** The daemon's status, as `keypadd status --json` prints it. */
  status(): { doors: DoorStatus[] };
  doors: ReadonlyMap<number, SimDoor>;
  commands: CommandContext;
  /** Whether the doors are simulated (the `sim_*` requests are refused otherwise). */
  sim: boolean;
}

export function controlHandler(deps: ControlDeps): ControlHandler {
  return async (req) => {
    switch (req.cmd) {
      case 'status':
        return { ok: true, result: deps.status() };
      case 'lockout_list':
        return { ok: true, result: deps.status().doors.map((d) => ({ door: d.id, name: d.name, ...d.lockout, card_backoff: d.card_backoff })) };
      case 'lockout_reset': {
        const outcome = await runCommand(deps.commands, { op: 'lockout_reset', door: Number(req.door) }, req.source);
        return outcome.ok ? { ok: true, result: (outcome.result as DoorStatus).lockout } : { ok: false, error: outcome.reason };
      }
      case 'door_command': {
        if (req.command.op === 'sync_now') return { ok: false, error: 'use sync_run' };
        const outcome = await runCommand(deps.commands, req.command, req.source);
        return outcome.ok ? { ok: true, result: outcome.result } : { ok: false, error: outcome.reason };
      }
      case 'sync_run': {
        const outcome = await runCommand(deps.commands, { op: 'sync_now', force: req.force === true, full: req.full === true }, 'cli');
        return outcome.ok ? { ok: true, result: outcome.result } : { ok: false, error: outcome.reason };
      }
      default:
        if (!deps.sim) return { ok: false, error: 'this keypadd is not running the simulated door (start it with --sim)' };
        return handleSim(req, deps.doors);
    }
  };
}
