/**
 * Every message on a command topic, in the publisher worker: matched to a configured door (as text), refused when
 * retained, unsigned or badly signed (mqtt.command_auth: hmac), malformed or too frequent, and otherwise handed to
 * the daemon to execute. Refusals are summed per door per second (CommandGate) and leave as one summary each, which
 * the daemon stores as one `command_refused` event; only a few a second are answered on set/result. A flood thus
 * costs the broker, this thread and the disk a bounded amount, and never reaches the main thread one by one.
 */
import type { Command } from './commands.js';
import { parseCommand } from './commands.js';
import { ReplayGuard } from './command-auth.js';
import { CommandGate, type RefusalSummary } from './command-gate.js';
import type { CommandResult } from './protocol.js';
import type { Topics } from './topics.js';

export interface IntakeDeps {
  topics: Topics;
  /** mqtt.homeassistant.require_code: an unlock without a code is refused here; a code with it is checked by the daemon. */
  requireCode?: boolean;
  /** Signed commands only: the shared key and the largest difference between the sender's clock and ours. */
  auth: { key: Buffer; maxAgeMs: number } | null;
  /** A signed command is dated: with a clock not trusted (no NTP yet) its time cannot be checked. */
  clockTrusted: () => boolean;
  /** A command that passed every check, to be executed by the daemon. */
  execute: (doorId: number, command: Command) => void;
  /** An answer on the door's set/result topic. */
  answer: (doorId: number, result: CommandResult) => void;
  /** The summed refusals of one door, once a second at most. */
  refused: (summary: RefusalSummary) => void;
  monoMs?: () => number;
  wallMs?: () => number;
}

export class CommandIntake {
  private readonly gate = new CommandGate();
  private readonly replays: ReplayGuard | null;
  private readonly monoMs: () => number;
  private readonly wallMs: () => number;

  constructor(private readonly deps: IntakeDeps) {
    this.replays = deps.auth ? new ReplayGuard(2 * deps.auth.maxAgeMs) : null;
    this.monoMs = deps.monoMs ?? (() => performance.now());
    this.wallMs = deps.wallMs ?? Date.now;
  }

  /** Handles a message if it is on a command topic of a configured door; returns whether it was. */
  onMessage(topic: string, payload: Buffer, retained: boolean): boolean {
    const doorId = this.deps.topics.doorOfSet(topic);
    if (doorId === null) return false;
    const now = this.monoMs();
    if (retained) {
      // A retained command would run at every start and reconnect: never obeyed, never answered (its sender is gone).
      this.gate.refuse(doorId, 'retained: a command must not be retained (it would run at every reconnect); publish it without retain', null, now);
      return true;
    }
    const auth = this.deps.auth;
    if (auth && !this.deps.clockTrusted()) {
      this.refuse(doorId, null, "ts: this controller's clock is not trusted yet, so a signed command's time cannot be checked", now);
      return true;
    }
    const parsed = parseCommand(
      payload,
      auth && this.replays ? { ...auth, topic, nowMs: this.wallMs(), replays: this.replays, monoMs: now } : undefined,
    );
    const codeProblem = parsed.ok ? this.codeProblem(parsed.value) : null;
    if (!parsed.ok) this.refuse(doorId, parsed.command ?? null, parsed.reason, now);
    else if (codeProblem) this.refuse(doorId, parsed.value.command, codeProblem, now);
    else if (!this.gate.admit(doorId, now)) this.refuse(doorId, parsed.value.command, 'rate: more than 5 commands a second for this door', now);
    else this.deps.execute(doorId, parsed.value);
    return true;
  }

  /**
   * With require_code every unlock, from Home Assistant or any other client, needs a code: otherwise anyone who can
   * reach HA's mqtt.publish action would bypass it. Without it a code is refused rather than silently not checked.
   * hold_unlocked (site operations) unlocks with no person behind it, so require_code refuses it over MQTT: a held
   * door is set from the API, the CLI or the console, where the caller is an admin.
   */
  private codeProblem(command: Command): string | null {
    if (this.deps.requireCode && command.command === 'unlock' && command.code === undefined) {
      return 'code: required for unlock (mqtt.homeassistant.require_code: true)';
    }
    if (this.deps.requireCode && command.command === 'hold_unlocked') {
      return 'command: hold_unlocked is refused over MQTT with mqtt.homeassistant.require_code: true (use the API or the CLI)';
    }
    if (!this.deps.requireCode && command.code !== undefined) return 'code: only with mqtt.homeassistant.require_code: true';
    return null;
  }

  /** Sends the summaries that are due (the worker calls this a few times a second), or all with `all`. */
  flush(all = false): void {
    for (const s of this.gate.due(this.monoMs(), all)) this.deps.refused(s);
  }

  private refuse(doorId: number, command: string | null, reason: string, now: number): void {
    if (this.gate.refuse(doorId, reason, command, now)) this.deps.answer(doorId, { command, accepted: false, reason });
  }
}
