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
 * The system clock. With `timesyncd`, the wall clock is trusted once systemd-timesyncd has synced since boot
 * (it creates `flagFile`); the check is cached for a second because it is on the decision path.
 */
export class SystemClock implements Clock {
  private checkedAt = -Infinity;
  private synced = false;

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

  trusted(): boolean {
    if (this.policy !== 'timesyncd') return true;
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
