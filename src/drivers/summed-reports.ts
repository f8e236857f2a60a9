/**
 * Reports from a driver at most once per interval: the first problem is reported at once, what follows within the
 * interval is summed by the caller and reported when it ends. So noise on a line, or a babbling child process, cannot
 * flood the event log, and nothing goes unreported.
 */
export class SummedReports {
  private timer: NodeJS.Timeout | undefined;

  /** @param flush reports what the caller has summed since the last report, and resets its sums. */
  constructor(
    private readonly flush: () => void,
    private readonly intervalMs = 1000,
  ) {}

  /** Something was added to the sums: report now if no report went out in the interval, else when it ends. */
  poke(): void {
    if (this.timer) return;
    this.flush();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.intervalMs);
  }

  /** Stops the timer and reports what is waiting now (a driver that stops loses no count). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
