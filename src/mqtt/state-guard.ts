/**
 * keypadd's retained state topics are its own: a state message there that is not the one last published is someone
 * else's (a forged "unlocked", or a stale one), and is overwritten at once. At most once a second per door, so an
 * attacker who writes again and again gets no storm of republishing in return.
 */
export class StateGuard {
  private readonly lastRepublish = new Map<number, number>();

  /** Whether `seen`, read back from a door's state topic, must be overwritten with `ours` now. */
  overwrite(doorId: number, seen: string, ours: string | undefined, monoMs = performance.now()): boolean {
    if (ours === undefined || seen === ours) return false;
    if (monoMs - (this.lastRepublish.get(doorId) ?? -Infinity) < 1000) return false;
    this.lastRepublish.set(doorId, monoMs);
    return true;
  }
}
