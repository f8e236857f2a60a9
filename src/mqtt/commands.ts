/**
 * Remote commands arriving on <base>/<node>/<door>/set. Pure parsing: a payload becomes a command or a reason it
 * was refused; nothing here acts. The payload is JSON: {"command": "unlock"} (also "lock", "lockout_reset",
 * "sync_now"); {"command": "unlock", "duration_ms": 3000} shortens or lengthens one unlock within the door's limit.
 * Site operations (README "Site operations"): "lockdown" (cards and PINs), "lockdown_rex" (and REX), "unlockdown",
 * "hold_unlocked", "normal"; "site_lockdown", "site_lockdown_rex", "site_unlockdown" act on every door, whichever
 * door's topic they arrive on. Each variant is its own command name, so a signature covers all it does.
 * With `auth` (mqtt.command_auth: hmac), the payload also carries `ts` and `hmac` (command-auth.ts). A `code` (the
 * PIN mqtt.homeassistant.require_code asks for) is digits only; a refusal never repeats it.
 */
import { signatureProblem, type CommandAuth } from './command-auth.js';

export const COMMANDS = [
  'unlock',
  'lock',
  'lockout_reset',
  'sync_now',
  'lockdown',
  'lockdown_rex',
  'unlockdown',
  'hold_unlocked',
  'normal',
  'site_lockdown',
  'site_lockdown_rex',
  'site_unlockdown',
] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface Command {
  command: CommandName;
  durationMs?: number;
  /** The PIN typed in Home Assistant (require_code); never logged, published or stored. */
  code?: string;
}

/** A refusal names the command when it could be read, for the summed refusal event. */
export type ParsedCommand = { ok: true; value: Command } | { ok: false; reason: string; command?: string };

const MAX_PAYLOAD = 1024;

export function parseCommand(payload: Buffer, auth?: CommandAuth): ParsedCommand {
  if (payload.length > MAX_PAYLOAD) return { ok: false, reason: `payload: longer than ${MAX_PAYLOAD} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload: not valid JSON (send {"command":"unlock"})' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'payload: must be a JSON object' };
  const { command, duration_ms: duration, code, ...others } = body as Record<string, unknown>;
  const { ts, hmac, ...signedRest } = others;
  const rest = auth ? signedRest : others;
  const extra = Object.keys(rest);
  if (extra.length > 0) return { ok: false, reason: `${extra[0]}: unknown field` };
  if (typeof command !== 'string' || !(COMMANDS as readonly string[]).includes(command)) {
    return { ok: false, reason: `command: must be one of ${COMMANDS.join(', ')}` };
  }
  if (duration !== undefined && (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 100 || duration > 600_000)) {
    return { ok: false, reason: 'duration_ms: must be a whole number from 100 to 600000', command };
  }
  if (duration !== undefined && command !== 'unlock') return { ok: false, reason: 'duration_ms: only with unlock', command };
  if (code !== undefined && (typeof code !== 'string' || !/^[0-9]{1,16}$/.test(code))) {
    return { ok: false, reason: 'code: must be a string of 1 to 16 digits', command };
  }
  const signed = auth ? signatureProblem({ command, ...(duration === undefined ? {} : { duration_ms: duration }), ts, hmac }, auth) : null;
  if (signed) return { ok: false, reason: signed, command };
  return {
    ok: true,
    value: {
      command: command as CommandName,
      ...(duration === undefined ? {} : { durationMs: duration }),
      ...(typeof code === 'string' ? { code } : {}),
    },
  };
}
