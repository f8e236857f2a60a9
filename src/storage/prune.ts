/**
 * Retention pruning that a wrong clock cannot turn into deleting the audit trail. Events go in id order (the order
 * they happened), only up to the newest event older than the cutoff whose time was trusted, so events stamped by a
 * clock at 1970 go with their neighbours, not at once. The cutoff is taken from the newest trusted event as well as
 * the clock, so a clock that jumped a year ahead moves nothing until events are stored at that time. Only published
 * events go (while MQTT is on), and at most a small share of the log per run: more than that (a clock that jumped, a
 * retention cut from a year to a week) is held back and said, for a person to look at.
 */
import type { Db } from './database.js';
import { OutboxRepo } from './outbox-repo.js';

/** Per run (the daemon runs one an hour), at most this share of the stored events is pruned. */
export const MAX_PRUNE_SHARE = 0.05;
const DAY_MS = 86_400_000;

export interface PruneOptions {
  /** A time the daemon trusts (it asks for no prune while its clock is untrusted). */
  nowMs: number;
  days: number;
  /** The outboxes whose consumers must have every event before it goes (MQTT's, each webhook's): the lowest cursor wins. */
  outboxes: readonly string[];
  /** Outboxes made at run time (a webhook per rule): every cursor whose key starts with one of these counts too. */
  outboxPrefixes?: readonly string[];
}

export interface PruneResult {
  count: number;
  /** Events past the retention, pruned or not. */
  due: number;
  /** The most this run would prune. */
  limit: number;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function pruneEvents(db: Db, o: PruneOptions): PruneResult {
  // Door events say whether their clock was trusted; admin events (time_trusted NULL) took the system clock as is.
  const newest = db.prepare(`SELECT max(created_at) AS t FROM events WHERE time_trusted IS NOT 0`).get() as { t: string | null };
  const newestMs = newest.t === null ? o.nowMs : Date.parse(newest.t);
  const cutoff = iso(Math.min(o.nowMs, newestMs) - o.days * DAY_MS);
  const last = db.prepare(`SELECT max(id) AS id FROM events WHERE time_trusted IS NOT 0 AND created_at < ?`).get(cutoff) as { id: number | null };
  let through = last.id ?? 0;
  for (const key of o.outboxes) through = Math.min(through, new OutboxRepo(db, key).cursor());
  for (const prefix of o.outboxPrefixes ?? []) {
    const lowest = db
      .prepare(`SELECT min(CAST(value AS INTEGER)) AS id FROM meta WHERE substr(key, 1, length(@prefix)) = @prefix`)
      .get({ prefix }) as {
      id: number | null;
    };
    if (lowest.id !== null) through = Math.min(through, lowest.id);
  }
  const due = (db.prepare(`SELECT count(*) AS n FROM events WHERE id <= ?`).get(through) as { n: number }).n;
  const total = (db.prepare(`SELECT count(*) AS n FROM events`).get() as { n: number }).n;
  const limit = Math.max(1, Math.floor(total * MAX_PRUNE_SHARE));
  const chunk = db.prepare(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? ORDER BY id LIMIT ?)`);
  let count = 0;
  // Small chunks, so no transaction holds the write lock for long.
  while (count < Math.min(due, limit)) {
    const n = db.transaction(() => chunk.run(through, Math.min(1000, limit - count)).changes).immediate();
    if (n === 0) break;
    count += n;
  }
  return { count, due, limit };
}
