/**
 * Every way a door or the site is commanded, as one union and one handler table (zigbee2mqtt's requestLookup). MQTT,
 * the API and the control socket each turn what they receive into a DoorCommand and run it here, on the main
 * thread where the doors are, so a command means the same whichever way it came and is an event naming its source.
 * A new operation is a new member of the union and one line in the table.
 */
import type { DoorController } from '../door/door-controller.js';

export type DoorCommand =
  /** A momentary unlock (MQTT unlock, DoorFlow's admit): for the door's unlock_ms, or `durationMs` within its limit. */
  | { op: 'admit'; door: number; durationMs?: number }
  /**
   * An unlock that carries a PIN (mqtt.homeassistant.require_code): it opens only for a person with access to this
   * door now, named in the event; a wrong PIN counts against the keypad's lockout. The PIN is never logged.
   */
  | { op: 'admit_with_pin'; door: number; pin: string; durationMs?: number }
  | { op: 'lock'; door: number }
  /** Held unlocked until back_to_normal (DoorFlow's channel unlock). */
  | { op: 'hold_unlocked'; door: number }
  | { op: 'back_to_normal'; door: number }
  /** Ends the keypad lockout and the card backoff (an admin's decision). */
  | { op: 'lockout_reset'; door: number }
  /** A pull from the upstream now; its outcome is its own event. */
  | { op: 'sync_now'; full?: boolean; force?: boolean };

export type CommandOp = DoorCommand['op'];

/** What a command can act on. */
export interface CommandContext {
  doors: ReadonlyMap<number, DoorController>;
  /** The credential sync, when configured. */
  sync: { run(opts: { full?: boolean; force?: boolean }): Promise<unknown> } | null;
}

export type CommandOutcome = { ok: true; result: unknown } | { ok: false; kind: 'not_found' | 'refused'; reason: string };

type Handler<C extends DoorCommand> = (ctx: CommandContext, command: C, source: string) => CommandOutcome | Promise<CommandOutcome>;

/** Runs `act` on the command's door, answering with the door's status after it. */
function onDoor<C extends Extract<DoorCommand, { door: number }>>(act: (door: DoorController, command: C, source: string) => void): Handler<C> {
  return (ctx, command, source) => {
    const door = ctx.doors.get(command.door);
    if (!door) return { ok: false, kind: 'not_found', reason: `door: no door ${command.door} (doors: ${[...ctx.doors.keys()].join(', ')})` };
    act(door, command, source);
    return { ok: true, result: door.status() };
  };
}

const HANDLERS: { [K in CommandOp]: Handler<Extract<DoorCommand, { op: K }>> } = {
  admit: onDoor((door, c, source) => door.remoteUnlock(source, c.durationMs)),
  admit_with_pin: async (ctx, c, source) => {
    const door = ctx.doors.get(c.door);
    if (!door) return { ok: false, kind: 'not_found', reason: `door: no door ${c.door} (doors: ${[...ctx.doors.keys()].join(', ')})` };
    const outcome = await door.remoteUnlockWithPin(source, c.pin, c.durationMs);
    if (outcome.granted) return { ok: true, result: door.status() };
    // One answer for every refusal: a wrong PIN and a right one refused for its schedule must look alike.
    const reason = outcome.lockedOut ? 'code: not accepted (the keypad is locked out after wrong PINs)' : 'code: not accepted';
    return { ok: false, kind: 'refused', reason };
  },
  lock: onDoor((door, _c, source) => door.remoteLock(source)),
  hold_unlocked: onDoor((door, _c, source) => door.holdUnlocked(source)),
  back_to_normal: onDoor((door, _c, source) => door.backToNormal(source)),
  lockout_reset: onDoor((door, _c, source) => door.resetLockout(source)),
  sync_now: async (ctx, c) => {
    if (!ctx.sync) return { ok: false, kind: 'refused', reason: 'sync is not configured (sync.url)' };
    return { ok: true, result: await ctx.sync.run({ full: c.full === true, force: c.force === true }) };
  },
};

/** Runs a command; `source` names who asked ("mqtt", "api:<token>", "cli"), for the event it makes. */
export function runCommand(ctx: CommandContext, command: DoorCommand, source: string): CommandOutcome | Promise<CommandOutcome> {
  return (HANDLERS[command.op] as Handler<DoorCommand>)(ctx, command, source);
}
