/**
 * Suspicious access patterns (the vendor guide's "look for suspicious patterns"), as pure rules over the access
 * events already decided: each returns what it found, or null, and never changes a decision. Times are wall-clock
 * milliseconds passed in (the event's own time); no clock, no I/O. Three rules:
 * - new_hour: a person granted at an hour of day (site time) at which none of their grants in the last `days` days
 *   fell, once they have at least `minHistory` grants in that window (a newcomer's first uses are not suspicious);
 * - after_window: a PIN of a person whose access comes from reservations (a visitor), refused because none is
 *   running, after the last one ended and with none ahead;
 * - wrong_pin_burst: unknown PINs at `doors` or more distinct doors of the site within `withinMs`, at most one
 *   finding per `withinMs` however long the burst goes on.
 */
import { zoneOffsetMs } from './site-time.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface AnomalyPolicy {
  newHour: { enabled: boolean; days: number; minHistory: number };
  afterWindow: { enabled: boolean };
  wrongPinBurst: { enabled: boolean; doors: number; withinMs: number };
}

export type AnomalyRule = 'new_hour' | 'after_window' | 'wrong_pin_burst';

/** new_hour's finding: the hour (0-23, site time), the grants in the window, and the hours they fell in. */
export interface NewHourFinding {
  rule: 'new_hour';
  hour: number;
  grantsInWindow: number;
  hoursSeen: number[];
}

export interface AfterWindowFinding {
  rule: 'after_window';
  /** When the person's last reservation ended. */
  windowEndedMs: number;
}

export interface BurstFinding {
  rule: 'wrong_pin_burst';
  /** The distinct doors that saw unknown PINs within the window, ascending. */
  doors: number[];
  /** Unknown PINs within the window, at all doors. */
  count: number;
}

export type AnomalyFinding = NewHourFinding | AfterWindowFinding | BurstFinding;

/** The hour of day (0-23) on the site's wall clock at instant `ms`. */
export function siteHour(ms: number, zone: string): number {
  const local = ms + zoneOffsetMs(ms, zone);
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

/** One day of one person's grants: the hours of day they fell in (bit h = hour h) and how many. */
interface DaySummary {
  day: number;
  hoursMask: number;
  grants: number;
}

/**
 * Each person's grants of the last `days` days, as a 24-bit mask of site hours and a count per UTC day: a ring of
 * `days` slots, so memory stays bounded and a grant costs O(1) to note and O(days) to check.
 */
export class GrantHours {
  private readonly people = new Map<number, DaySummary[]>();

  constructor(
    private readonly policy: AnomalyPolicy['newHour'],
    private readonly zone: string,
  ) {}

  /** Notes a grant from history (the event table at start), without judging it. */
  note(personId: number, atMs: number): void {
    const day = Math.floor(atMs / DAY_MS);
    let ring = this.people.get(personId);
    if (!ring) this.people.set(personId, (ring = []));
    const slot = day % this.policy.days;
    const summary = ring[slot];
    const bit = 1 << siteHour(atMs, this.zone);
    // A slot last used more than `days` ago holds a day that left the window: it starts again.
    if (!summary || summary.day !== day) {
      if (summary && summary.day > day) return; // an older grant than the slot already holds: outside the window
      ring[slot] = { day, hoursMask: bit, grants: 1 };
    } else {
      summary.hoursMask |= bit;
      summary.grants++;
    }
  }

  /** Judges a new grant against the window before it, then notes it (so a second use at that hour is not new). */
  grant(personId: number, atMs: number): NewHourFinding | null {
    const finding = this.policy.enabled ? this.judge(personId, atMs) : null;
    this.note(personId, atMs);
    return finding;
  }

  private judge(personId: number, atMs: number): NewHourFinding | null {
    const ring = this.people.get(personId);
    if (!ring) return null;
    const today = Math.floor(atMs / DAY_MS);
    let mask = 0;
    let grants = 0;
    for (const s of ring) {
      if (!s || s.day <= today - this.policy.days || s.day > today) continue;
      mask |= s.hoursMask;
      grants += s.grants;
    }
    const hour = siteHour(atMs, this.zone);
    if (grants < this.policy.minHistory || (mask & (1 << hour)) !== 0) return null;
    const hoursSeen = [...Array(24).keys()].filter((h) => (mask & (1 << h)) !== 0);
    return { rule: 'new_hour', hour, grantsInWindow: grants, hoursSeen };
  }
}

/** A person's reservation windows as storage knows them: when the last one ended, and whether one is ahead. */
export interface ReservationWindows {
  /** The latest end of the person's reservations (their own and group ones); null when they never had one. */
  lastEndMs: number | null;
  /** A reservation that has not ended yet (running or ahead). */
  upcoming: boolean;
}

/** after_window: a PIN refused as no_reservation after the person's last reservation ended, with none ahead. */
export function afterWindow(
  policy: AnomalyPolicy['afterWindow'],
  denial: { credentialType: string | null; reason: string | null; atMs: number },
  windows: ReservationWindows,
): AfterWindowFinding | null {
  if (!policy.enabled || denial.credentialType !== 'PIN' || denial.reason !== 'no_reservation') return null;
  if (windows.lastEndMs === null || windows.upcoming || windows.lastEndMs > denial.atMs) return null;
  return { rule: 'after_window', windowEndedMs: windows.lastEndMs };
}

/** Whether a refusal could be an after_window (so storage is asked about the person's windows only then). */
export function mayBeAfterWindow(policy: AnomalyPolicy['afterWindow'], denial: { credentialType: string | null; reason: string | null }): boolean {
  return policy.enabled && denial.credentialType === 'PIN' && denial.reason === 'no_reservation';
}

/**
 * Unknown PINs across the site's doors. After a finding the window starts empty and nothing is found again for
 * `withinMs`: one event per burst, and an attack that goes on is reported again each window, not once per PIN.
 */
export class WrongPinBursts {
  private recent: { doorId: number; atMs: number }[] = [];
  private quietUntilMs = -Infinity;

  constructor(private readonly policy: AnomalyPolicy['wrongPinBurst']) {}

  wrongPin(doorId: number, atMs: number): BurstFinding | null {
    if (!this.policy.enabled || atMs < this.quietUntilMs) return null;
    this.recent = this.recent.filter((w) => w.atMs > atMs - this.policy.withinMs && w.atMs <= atMs);
    this.recent.push({ doorId, atMs });
    const doors = [...new Set(this.recent.map((w) => w.doorId))].sort((a, b) => a - b);
    if (doors.length < this.policy.doors) return null;
    const count = this.recent.length;
    this.recent = [];
    this.quietUntilMs = atMs + this.policy.withinMs;
    return { rule: 'wrong_pin_burst', doors, count };
  }
}
