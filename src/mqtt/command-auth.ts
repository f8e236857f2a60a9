/**
 * Signed commands (mqtt.command_auth: hmac). A command carries `ts`, the sender's time in ms since the epoch, and
 * `hmac`, the hex HMAC-SHA256 under the shared key of the text
 *     keypadd-command-v1 \n <topic> \n <command> \n <duration_ms, or nothing> \n <ts>
 * so it is bound to one door of one controller, to one command, and to one moment. It is refused when unsigned,
 * badly signed, older or newer than `maxAgeMs`, or seen before (the replay guard keeps each accepted signature for
 * twice that long, on the monotonic clock, within a bounded memory).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface CommandAuth {
  key: Buffer;
  topic: string;
  /** The controller's wall clock (commands are dated by the sender's). */
  nowMs: number;
  maxAgeMs: number;
  replays: ReplayGuard;
  /** Monotonic now, for the replay guard. */
  monoMs: number;
}

/** The text that is signed: one definition, used by senders' tools and the tests alike. */
export function signedText(topic: string, command: string, durationMs: number | undefined, ts: number): string {
  return `keypadd-command-v1\n${topic}\n${command}\n${durationMs ?? ''}\n${ts}`;
}

export function signCommand(key: Buffer, topic: string, command: string, durationMs: number | undefined, ts: number): string {
  return createHmac('sha256', key)
    .update(signedText(topic, command, durationMs, ts))
    .digest('hex');
}

/** Why a command's signature fails, or null when it is good, fresh and new (then it is remembered). */
export function signatureProblem(fields: { command: string; duration_ms?: number; ts: unknown; hmac: unknown }, auth: CommandAuth): string | null {
  const { ts, hmac } = fields;
  if (ts === undefined || hmac === undefined) return 'hmac: commands must be signed here (mqtt.command_auth: hmac): send ts and hmac';
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) return 'ts: must be the time in whole milliseconds since 1970';
  if (typeof hmac !== 'string' || !/^[0-9a-f]{64}$/i.test(hmac)) return 'hmac: must be 64 hex digits (HMAC-SHA256)';
  const expected = Buffer.from(signCommand(auth.key, auth.topic, fields.command, fields.duration_ms, ts), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(hmac, 'hex'))) return 'hmac: wrong signature (key, topic or fields differ)';
  if (Math.abs(auth.nowMs - ts) > auth.maxAgeMs)
    return `ts: stale: ${Math.round((auth.nowMs - ts) / 1000)} s from this controller's clock (at most ${auth.maxAgeMs / 1000} s)`;
  if (!auth.replays.remember(hmac.toLowerCase(), auth.monoMs)) return 'hmac: replayed: this signed command was already received';
  return null;
}

/** Signatures accepted within the last `keepMs`; at most `max` of them (the oldest go first). */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly keepMs: number,
    private readonly max = 10_000,
  ) {}

  /** False when `signature` was accepted within keepMs; otherwise remembers it and returns true. */
  remember(signature: string, monoMs: number): boolean {
    for (const [sig, at] of this.seen) {
      if (monoMs - at < this.keepMs && this.seen.size < this.max) break;
      this.seen.delete(sig);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, monoMs);
    return true;
  }
}
