/**
 * Worker thread that makes events and lockout state durable. It owns the only write connection the daemon uses
 * for them, so an fsync (5-30 ms on an SD card) never runs on the main thread, where it would stall key and
 * Wiegand handling. Messages that arrive during a commit are committed together in the next one (group commit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../worker-threads.js';
import type { PersistedLockout } from '../core/lockout.js';
import { openDatabase } from './database.js';
import { EventRepo, type NewEvent } from './event-repo.js';
import { LockoutRepo } from './lockout-repo.js';
import type { FromWorker, RetentionPolicy, ToWorker } from './event-writer-protocol.js';
import { OutboxRepo } from './outbox-repo.js';


lowerThreadPriority(5);
const port = parentPort!;
const data = workerData as { dataDir: string; retention: RetentionPolicy | null };
const db = openDatabase(data.dataDir, { alreadyChecked: true });
const events = new EventRepo(db);
const lockouts = new LockoutRepo(db);
const outbox = new OutboxRepo(db);

let queue: ToWorker[] = [];
let scheduled = false;
let retryMs = 100;

const send = (m: FromWorker) => port.postMessage(m);

function schedule(delayMs = 0): void {
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    scheduled = false;
    commit();
  };
  if (delayMs > 0) setTimeout(run, delayMs);
  else setImmediate(run);
}

/** Errors that pass (a busy or full disk, I/O trouble): keep the batch and retry it. */
function transient(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|NOMEM)/.test(code);
}

function apply(m: ToWorker, out: FromWorker[]): void {
  if (m.type === 'event') out.push({ type: 'recorded', ref: m.ref, row: events.append(m.event as NewEvent) });
  else if (m.type === 'lockout') lockouts.save(m.doorId, m.state as PersistedLockout, m.now);
  else if (m.type === 'flush') out.push({ type: 'flushed', token: m.token });
}

function commit(): void {
  const batch = queue;
  if (batch.length === 0) return;
  queue = [];
  let recorded: FromWorker[] = [];
  try {
    db.transaction(() => {
      for (const m of batch) apply(m, recorded);
    }).immediate();
    retryMs = 100;
  } catch (err) {
    if (transient(err)) {
      // Keep everything and try again: a busy database or a full disk must not lose events.
      queue = [...batch, ...queue];
      send({ type: 'error', message: (err as Error).message });
      retryMs = Math.min(retryMs * 2, 5000);
      schedule(retryMs);
      return;
    }
    // One malformed message must not hold back the rest: commit them one by one, and report the one that fails.
    recorded = [];
    for (const m of batch) {
      try {
        const one: FromWorker[] = [];
        db.transaction(() => apply(m, one)).immediate();
        recorded.push(...one);
      } catch (e) {
        send({ type: 'rejected', ref: m.type === 'event' ? m.ref : null, message: `${m.type}: ${(e as Error).message}` });
      }
    }
  }
  // One message per commit, not per event: after the write lock was held elsewhere (a sync's apply), thousands of
  // events commit at once, and thousands of messages would arrive on the main thread in one burst.
  const rows = recorded.filter((r) => r.type === 'recorded');
  if (rows.length > 0) send({ type: 'recorded_batch', items: rows.map((r) => ({ ref: r.ref, row: r.row })) });
  for (const r of recorded) if (r.type !== 'recorded') send(r);
  if (batch.some((m) => m.type === 'close')) {
    db.close();
    port.close();
    return;
  }
  if (queue.length > 0) schedule();
}

/**
 * Drops events past the retention period, a chunk at a time between commits. With MQTT on, only events at or
 * below the published cursor go: an unpublished event is never pruned.
 */
function prune(): void {
  const r = data.retention;
  if (!r) return;
  const before = new Date(Date.now() - r.days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  try {
    const through = r.onlyPublished ? outbox.cursor() : null;
    let total = 0;
    for (let n = Infinity; n >= 1000; total += n) n = db.transaction(() => outbox.prune(before, through, 1000)).immediate();
    if (total > 0) send({ type: 'pruned', count: total });
  } catch (err) {
    send({ type: 'error', message: `pruning old events failed: ${(err as Error).message}` });
  }
}
if (data.retention) {
  setTimeout(prune, 10_000).unref();
  setInterval(prune, 3_600_000).unref();
}

port.on('message', (m: ToWorker) => {
  queue.push(m);
  schedule();
});
send({ type: 'ready' });
