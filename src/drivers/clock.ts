/**
 * Time for the door: the wall clock for schedules, reservations and timestamps; the monotonic clock for lockouts
 * and unlock timers (a wall-clock jump must not shorten them); and whether the wall clock can be trusted.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Clock {
  wallMs(): number;
  monoMs(): number;
  /** True when schedules and reservations may be honoured. */
  trusted(): boolean;
}

export type TrustPolicy = 'timesyncd' | 'rtc' | 'always';

/**
 * No clock earlier than this is ever trusted: this release was made after it (bump it at each release). A Pi with
 * no RTC that boots at 1970, or an RTC with a flat battery, is below it whatever `clock.trust` says.
 */
export const RELEASE_FLOOR_MS = Date.parse('2026-11-01T00:00:00Z');

/**
 * The system clock. With `timesyncd`, the wall clock is trusted once systemd-timesyncd has synced since boot
 * (it creates `flagFile`); the check is cached for a second because it is on the decision path. With `rtc` or
 * `always`, it is trusted unless it reads earlier than the floor: the release date, or the newest event stored with
 * a trusted clock (setFloor). An NTP sync outranks the floor, which may itself come from a clock that ran ahead.
 */
export class SystemClock implements Clock {
  private checkedAt = -Infinity;
  private synced = false;
  private floorMs = RELEASE_FLOOR_MS;

  constructor(
    private readonly policy: TrustPolicy,
    private readonly flagFile = '/run/systemd/timesync/synchronized',
  ) {}

  wallMs(): number {
    return Date.now();
  }

  monoMs(): number {
    return performance.now();
  }

  /** Never trust a wall clock earlier than `ms` (the newest event stored while the clock was trusted). */
  setFloor(ms: number): void {
    if (Number.isFinite(ms)) this.floorMs = Math.max(RELEASE_FLOOR_MS, ms);
  }

  trusted(): boolean {
    return this.untrustedReason() === null;
  }

  /** Why the wall clock is not trusted now, in words for a log line; null when it is. */
  untrustedReason(): string | null {
    if (this.policy === 'timesyncd' && this.isSynced()) return null;
    const wall = this.wallMs();
    if (wall < this.floorMs) {
      return `the wall clock (${new Date(wall).toISOString()}) is earlier than ${new Date(this.floorMs).toISOString()}, the newest stored event or this release`;
    }
    return this.policy === 'timesyncd' ? 'systemd-timesyncd has not synchronised the clock since boot' : null;
  }

  private isSynced(): boolean {
    // Once synced since boot, the kernel keeps disciplining the clock; the flag only goes away at reboot.
    if (this.synced) return true;
    const now = this.monoMs();
    if (now - this.checkedAt >= 1000) {
      this.checkedAt = now;
      this.synced = existsSync(this.flagFile);
    }
    return this.synced;
  }
}
