/**
 * Suspicious access patterns (the vendor guide's "look for suspicious patterns"), as pure rules over the access
 * events already decided: each returns what it found, or null, and never changes a decision. Times are wall-clock
 * milliseconds passed in (the event's own time); no clock, no I/O. Three rules:
 * - new_hour: a person granted at an hour of day (site time) at which none of their grants in the last `days` days
 *   fell, once they have at least `minHistory` grants in that window (a newcomer's first uses are not suspicious);
 * - after_window: a PIN of a person whose access comes from reservations (a visitor), refused because none is
 *   running, after the last one ended and with none ahead;
 * - wrong_pin_burst: wrong PINs (see countsTowardBurst) at `doors` or more distinct doors of the site within
 *   `withinMs`, at most one finding per `withinMs` however long the burst goes on.
 */
export { GrantHours, siteHour } from './grant-hours.js';

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
 * Whether a refusal is a wrong PIN for wrong_pin_burst: an unknown PIN, or a PIN typed at a keypad already locked out
 * (not looked up, so it may be anything: an attacker who keeps typing at a locked keypad while trying others is still
 * one burst). A lockdown refusal is not counted: under lockdown every PIN is refused, valid ones included.
 */
export function countsTowardBurst(denial: { credentialType: string | null; reason: string | null }): boolean {
  return denial.credentialType === 'PIN' && (denial.reason === 'unknown_credential' || denial.reason === 'locked_out');
}

/**
 * Wrong PINs across the site's doors. After a finding the window starts empty and nothing is found again for
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
