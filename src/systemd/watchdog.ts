/**
 * The watchdog: a ping at half of WatchdogSec, sent only when a health check passes. A blocked event loop sends no
 * ping at all (the timer cannot fire); after one, the lag of this very timer shows it and the next ping is skipped
 * too. A database that has refused writes for longer than the watchdog interval is unhealthy as well.
 */
export interface HealthInputs {
  /**
   * Storage in trouble: since when (ms epoch) storing events or looking up credentials has failed without success,
   * and which; null when storage is fine.
   */
  storageTrouble(): { since: number; what: string } | null;
}

export interface HealthReport {
  ok: boolean;
  lagMs: number;
  reason: string | null;
}

export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;
  last: HealthReport = { ok: true, lagMs: 0, reason: null };

  constructor(
    private readonly intervalMs: number,
    private readonly health: HealthInputs,
    private readonly ping: () => void,
    /** Event-loop lag above which a ping is withheld. */
    private readonly maxLagMs = Math.max(250, intervalMs / 4),
  ) {}

  start(): void {
    this.expected = performance.now() + this.intervalMs;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    const lagMs = Math.max(0, now - this.expected);
    this.expected = now + this.intervalMs;
    const trouble = this.health.storageTrouble();
    let reason: string | null = null;
    if (lagMs > this.maxLagMs) reason = `event loop was blocked for ${Math.round(lagMs)} ms`;
    else if (trouble !== null && Date.now() - trouble.since > this.intervalMs * 2)
      reason = `${trouble.what} (failing for ${Math.round((Date.now() - trouble.since) / 1000)} s)`;
    this.last = { ok: reason === null, lagMs, reason };
    if (reason === null) this.ping();
  }
}
