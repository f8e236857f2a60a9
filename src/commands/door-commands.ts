/**
 * Every way a door or the site is commanded, as one union and one handler table (zigbee2mqtt's requestLookup). MQTT,
 * the API and the control socket each turn what they receive into a DoorCommand and run it here, on the main
 * thread where the doors are, so a command means the same whichever way it came and is an event naming its source.
 * A new operation is a new member of the union and one line in the table.
 */
import type { AccessFacts } from '../core/decision.js';
import type { LockdownState } from '../core/site-calendar.js';
import type { DoorController } from '../door/door-controller.js';
import type { SiteLockdownState } from '../door/site-lockdown.js';

export type DoorCommand =
  /** A momentary unlock (MQTT unlock, DoorFlow's admit): for the door's unlock_ms, or `durationMs` within its limit. */
  | { op: 'admit'; door: number; durationMs?: number }
  /**
   * An unlock that carries a PIN (mqtt.homeassistant.require_code): it opens only for a person with access to this
   * door now, named in the event; a wrong PIN counts against the keypad's lockout. The PIN is never logged.
   */
  | { op: 'admit_with_pin'; door: number; pin: string; durationMs?: number }
  | { op: 'lock'; door: number }
  /** Held unlocked until back_to_normal, or until relockAtMs (DoorFlow's channel unlock with relock_at). */
  | { op: 'hold_unlocked'; door: number; relockAtMs?: number | null }
  | { op: 'back_to_normal'; door: number }
  /** Ends the keypad lockout and the card backoff (an admin's decision). */
  | { op: 'lockout_reset'; door: number }
  /** DoorFlow's channel lockdown: refuses cards and PINs, REX, aux (each optional); locks the relay, ends an unlock. */
  | ({ op: 'lockdown'; door: number } & LockdownState)
  | { op: 'unlockdown'; door: number }
  /** The same for every door at once (DoorFlow has no site call; the API does one per door). */
  | ({ op: 'site_lockdown' } & LockdownState)
  | { op: 'site_unlockdown' }
  /** The door's auto-unlock shift, or null for none (DoorFlow's auto_unlock {shift_id}). */
  | { op: 'auto_unlock'; door: number; shiftId: number | null }
  /** Admits a named person only if they have access here now (DoorFlow's admit_person). */
  | { op: 'admit_person'; door: number; personId: number }
  /** A pull from the upstream now; its outcome is its own event. */
  | { op: 'sync_now'; full?: boolean; force?: boolean };

export type CommandOp = DoorCommand['op'];

/** What a command can act on. */
export interface CommandContext {
  doors: ReadonlyMap<number, DoorController>;
  /** The credential sync, when configured. */
  sync: { run(opts: { full?: boolean; force?: boolean }): Promise<unknown> } | null;
  /** The site-wide lockdown; null where there is none to command (tests of one door). */
  site?: SiteLockdownState | null;
  /** A person's own access facts, for admit_person (storage/access-repo.ts personFacts); may throw. */
  personFacts?: (personId: number) => AccessFacts | null;
}

export type CommandOutcome = { ok: true; result: unknown } | { ok: false; kind: 'not_found' | 'refused'; reason: string };

type Handler<C extends DoorCommand> = (ctx: CommandContext, command: C, source: string) => CommandOutcome | Promise<CommandOutcome>;

/**
 * Runs `act` on the command's door, answering with the door's status after it. `act` may refuse (a reason): the
 * refusal is the door's command_refused event and the answer.
 */
function onDoor<C extends Extract<DoorCommand, { door: number }>>(
  act: (door: DoorController, command: C, source: string) => string | null | void,
): Handler<C> {
  return (ctx, command, source) => {
    const door = ctx.doors.get(command.door);
    if (!door) return { ok: false, kind: 'not_found', reason: `door: no door ${command.door} (doors: ${[...ctx.doors.keys()].join(', ')})` };
    const refused = act(door, command, source);
    if (typeof refused === 'string') {
      door.commandRefused(source, command.op, refused);
      return { ok: false, kind: 'refused', reason: refused };
    }
    return { ok: true, result: door.status() };
  };
}

const lockdownOf = (c: LockdownState): LockdownState => ({ card: c.card, rex: c.rex, aux: c.aux });

function site<C extends DoorCommand>(act: (siteState: SiteLockdownState, ctx: CommandContext, command: C, source: string) => void): Handler<C> {
  return (ctx, command, source) => {
    if (!ctx.site) return { ok: false, kind: 'refused', reason: 'this controller has no site lockdown' };
    act(ctx.site, ctx, command, source);
    return { ok: true, result: { site_lockdown: ctx.site.state, doors: [...ctx.doors.values()].map((d) => d.status()) } };
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
  hold_unlocked: onDoor((door, c, source) => door.holdUnlocked(source, c.relockAtMs ?? null)),
  lockdown: onDoor((door, c, source) => {
    if (!c.card && !c.rex && !c.aux) return 'lockdown: set at least one of card_lockdown, rex_lockdown, aux_lockdown';
    door.lockdown(lockdownOf(c), source);
  }),
  unlockdown: onDoor((door, _c, source) => door.unlockdown(source)),
  site_lockdown: (ctx, c, source) => {
    if (!c.card && !c.rex && !c.aux) return { ok: false, kind: 'refused', reason: 'lockdown: set at least one of card, rex, aux' };
    return site<typeof c>((s, context, command, from) => s.set(lockdownOf(command), from, context.doors.values()))(ctx, c, source);
  },
  site_unlockdown: site((s, ctx, _c, source) => s.end(source, ctx.doors.values())),
  auto_unlock: onDoor((door, c, source) => door.setAutoUnlock(c.shiftId, source)),
  admit_person: (ctx, c, source) => {
    const door = ctx.doors.get(c.door);
    if (!door) return { ok: false, kind: 'not_found', reason: `door: no door ${c.door}` };
    if (!ctx.personFacts) return { ok: false, kind: 'refused', reason: 'admit_person is not available here' };
    const facts = ctx.personFacts(c.personId);
    if (!facts) return { ok: false, kind: 'not_found', reason: `person_id: no person ${c.personId}` };
    return { ok: true, result: { decision: door.admitPerson(facts, source), status: door.status() } };
  },
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
