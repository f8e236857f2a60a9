/**
 * What keeps a flood of commands out of the audit trail, as a pure rule on the monotonic clock (no timers, no I/O):
 * - at most `acceptedPerSecond` commands per door in any second go on to the door; the rest are refused;
 * - refusals are summed per door: one summary per door per `summaryMs`, with the count by reason, which becomes one
 *   `command_refused` event (as the Wiegand reader sums read errors), whatever the rate;
 * - at most `resultsPerSecond` refusals per door in any second are answered on set/result; the rest only counted.
 * Memory is bounded by the configured doors and `maxReasons` reasons each.
 */
export interface CommandGatePolicy {
  acceptedPerSecond: number;
  resultsPerSecond: number;
  summaryMs: number;
  maxReasons: number;
}

export const COMMAND_GATE: CommandGatePolicy = { acceptedPerSecond: 5, resultsPerSecond: 10, summaryMs: 1000, maxReasons: 8 };

/** The refusals of one door since its last summary. */
export interface RefusalSummary {
  doorId: number;
  count: number;
  /** Refusals by reason (past `maxReasons` distinct reasons, the rest under "other reasons"). */
  reasons: Record<string, number>;
  /** The command names refused, by count ("none" when there was none to read). */
  commands: Record<string, number>;
}

interface DoorTally {
  accepted: number[];
  answered: number[];
  since: number | null;
  count: number;
  reasons: Map<string, number>;
  commands: Map<string, number>;
}

export class CommandGate {
  private readonly doors = new Map<number, DoorTally>();

  constructor(private readonly policy: CommandGatePolicy = COMMAND_GATE) {}

  /** Whether one more command may reach this door now; a false is the caller's to refuse. */
  admit(doorId: number, monoMs: number): boolean {
    const d = this.tally(doorId);
    d.accepted = d.accepted.filter((t) => monoMs - t < 1000);
    if (d.accepted.length >= this.policy.acceptedPerSecond) return false;
    d.accepted.push(monoMs);
    return true;
  }

  /** Counts a refusal; returns whether it may be answered on set/result. */
  refuse(doorId: number, reason: string, command: string | null, monoMs: number): boolean {
    const d = this.tally(doorId);
    d.since ??= monoMs;
    d.count++;
    const key = d.reasons.has(reason) || d.reasons.size < this.policy.maxReasons ? reason : 'other reasons';
    d.reasons.set(key, (d.reasons.get(key) ?? 0) + 1);
    const name = command ?? 'none';
    if (d.commands.has(name) || d.commands.size < this.policy.maxReasons) d.commands.set(name, (d.commands.get(name) ?? 0) + 1);
    d.answered = d.answered.filter((t) => monoMs - t < 1000);
    if (d.answered.length >= this.policy.resultsPerSecond) return false;
    d.answered.push(monoMs);
    return true;
  }

  /** The summaries due at `monoMs` (a door's first refusal at least `summaryMs` ago), or all of them with `all`. */
  due(monoMs: number, all = false): RefusalSummary[] {
    const out: RefusalSummary[] = [];
    for (const [doorId, d] of this.doors) {
      if (d.since === null || (!all && monoMs - d.since < this.policy.summaryMs)) continue;
      out.push({ doorId, count: d.count, reasons: Object.fromEntries(d.reasons), commands: Object.fromEntries(d.commands) });
      d.since = null;
      d.count = 0;
      d.reasons = new Map();
      d.commands = new Map();
    }
    return out;
  }

  private tally(doorId: number): DoorTally {
    let d = this.doors.get(doorId);
    if (!d) this.doors.set(doorId, (d = { accepted: [], answered: [], since: null, count: 0, reasons: new Map(), commands: new Map() }));
    return d;
  }
}
