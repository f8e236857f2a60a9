/**
 * Worker thread that makes events and lockout states durable. It owns the only write connection the daemon uses for
 * them, so an fsync (5-30 ms on an SD card) never runs on the main thread, where it would stall key and Wiegand
 * handling. Messages that arrive during a commit are committed together in the next one (group commit).
 *
 * When the database will not take them (a full disk even after the reserve is freed, a card gone read-only, a lock
 * held too long), they go to the spool instead (storage/spool.ts), in order, and the worker keeps trying the
 * database; once it takes writes again the spool is replayed into it first, so the order of events is kept. At start
 * it replays whatever a dead daemon left in the spool. At close it stores what it can within its budget and spools
 * the rest: nothing is dropped while a disk will take it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../worker-threads.js';
import { backoffMs } from '../core/backoff.js';
import type { PersistedLockout } from '../core/lockout.js';
import { dataDirWritable, openDatabase, type Db } from './database.js';
import { EventRepo, type EventRow, type NewEvent } from './event-repo.js';
import { LockoutRepo } from './lockout-repo.js';
import { DoorModeRepo, type PersistedDoorMode } from './door-mode-repo.js';
import type { FromWorker, ToWorker, WriterData } from './event-writer-protocol.js';
import { pruneEvents } from './prune.js';
import { ensureReserve, freeBytes, isDiskFull, releaseReserve } from './reserve.js';
import { SpoolFile, clearSpool, readSpool, type SpoolEntry } from './spool.js';
import { truncateWal } from './store.js';

lowerThreadPriority(5);
const port = parentPort!;
const data = workerData as WriterData;
const send = (m: FromWorker) => port.postMessage(m);
const spool = new SpoolFile(data.spoolDir, 'worker');

let db: Db | null = null;
let repos: { events: EventRepo; lockouts: LockoutRepo; modes: DoorModeRepo } | null = null;
let queue: ToWorker[] = [];
let scheduled = false;
let spooling = false;
let reason: string | null = null;
/** Since when the database has refused writes only because another connection holds the lock; null otherwise. */
let busySince: number | null = null;
const BUSY_REASON = "another connection holds the database's write lock (a sync applying a large pull?)";
/** Failed tries of the database (or the spool) in a row: the backoff's attempt. */
let retries = 0;
/** Retries of the database: from 100 ms, doubling to 5 s. */
const RETRY = { firstMs: 100, maxMs: 5000, jitter: 0 };
let nextRecoveryAt = 0;
let reserveReleased = false;
let reserveCheckedAt = 0;
let lastReplayError: unknown = null;

function openDb(): boolean {
  if (data.readonly) return false;
  try {
    // Two seconds for another writer's lock, not five: past it the events go to the spool, and a stop is not held
    // up waiting on a lock. A sync's apply takes about 1 s at 100,000 people, but 21-22 s for a first pull of a
    // million: then the events are spooled (none lost) and storage is "busy" until the apply commits (enterSpoolFor).
    db ??= openDatabase(data.dataDir, { alreadyChecked: true, busyTimeoutMs: 2000 });
    repos ??= { events: new EventRepo(db), lockouts: new LockoutRepo(db), modes: new DoorModeRepo(db) };
    return true;
  } catch (err) {
    enterSpool(describe(err));
    return false;
  }
}

/** Why storing failed, plainly: what an admin reads in the log, `status` and MQTT status. */
function describe(err: unknown): string {
  const probe = dataDirWritable(data.dataDir);
  if (!probe.writable) return probe.why!;
  // SQLite says "disk I/O error" when it cannot grow its -shm file: the free space says what it means.
  if (isDiskFull(err) || (freeBytes(data.dataDir) ?? Infinity) < 1_048_576) return 'the disk is full';
  return `the database refuses writes (${(err as Error).message})`;
}

function enterSpool(why: string): void {
  if (!spooling || why !== reason || busySince !== null) send({ type: 'storage', failing: true, reason: why });
  spooling = true;
  reason = why;
  busySince = null;
}

/** A write lock held elsewhere is only "busy" until `busyAlarmMs`; past it, or for any other error, a failure. */
function enterSpoolFor(err: unknown): void {
  // Busy counts only from a healthy writer or one already busy: a failing disk that is also locked stays failing.
  const onlyBusy = isBusy(err) && (!spooling || busySince !== null);
  if (onlyBusy && busySince === null) {
    busySince = Date.now();
    lastReplayError = null; // only this episode's tries count in commit()
  }
  if (!onlyBusy || Date.now() - busySince! >= (data.busyAlarmMs ?? 120_000)) return enterSpool(describe(err));
  if (!spooling) send({ type: 'storage', failing: false, busy: true, reason: BUSY_REASON });
  spooling = true;
  reason = BUSY_REASON;
}

function isBusy(err: unknown): boolean {
  return /^SQLITE_BUSY/.test((err as { code?: string }).code ?? '');
}

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

/** Errors that pass (a busy or full disk, I/O trouble): keep the batch; spool it or retry it. */
function transient(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|NOMEM|READONLY)/.test(code);
}

function apply(m: ToWorker, out: FromWorker[], rows: { ref: number; row: EventRow }[]): void {
  if (m.type === 'event') rows.push({ ref: m.ref, row: repos!.events.append(m.event as NewEvent) });
  else if (m.type === 'lockout') repos!.lockouts.save(m.doorId, m.state as PersistedLockout, m.now);
  else if (m.type === 'door_mode') repos!.modes.save(m.key, m.mode as PersistedDoorMode, m.now);
  else if (m.type === 'flush') out.push({ type: 'flushed', token: m.token });
}

/** Stores a batch in one transaction; throws what SQLite threw. */
function store(batch: ToWorker[]): void {
  const out: FromWorker[] = [];
  const rows: { ref: number; row: EventRow }[] = [];
  db!
    .transaction(() => {
      for (const m of batch) apply(m, out, rows);
    })
    .immediate();
  report(rows, out);
}

function report(rows: { ref: number; row: EventRow }[], out: FromWorker[]): void {
  // One message per commit, not per event: after the write lock was held elsewhere (a sync's apply), thousands of
  // events commit at once, and thousands of messages would arrive on the main thread in one burst.
  if (rows.length > 0) send({ type: 'recorded_batch', items: rows });
  for (const r of out) send(r);
}

function commit(): void {
  const batch = queue;
  queue = [];
  if (spooling && !recover()) {
    // Still busy: the lock may have been held long enough to count as a failure now.
    if (busySince !== null && lastReplayError !== null) enterSpoolFor(lastReplayError);
    if (batch.length > 0) toSpool(batch);
    // Keep trying the database, with nothing new to store too: the spool goes in as soon as it takes writes.
    if (!data.readonly) schedule(Math.max(50, nextRecoveryAt - Date.now()));
    return;
  }
  if (batch.length === 0) return;
  try {
    store(batch);
    retries = 0;
    keepReserve();
  } catch (err) {
    if (!transient(err)) return storeOneByOne(batch);
    if (isDiskFull(err) && freeReserve()) {
      queue = [...batch, ...queue];
      return schedule();
    }
    enterSpoolFor(err);
    toSpool(batch);
    if (!data.readonly) schedule(100);
    return;
  }
  if (queue.length > 0) schedule();
}

/** One malformed message must not hold back the rest: commit them one by one, and report the one that fails. */
function storeOneByOne(batch: ToWorker[]): void {
  for (const m of batch) {
    try {
      store([m]);
    } catch (e) {
      send({ type: 'rejected', ref: m.type === 'event' ? m.ref : null, message: `${m.type}: ${(e as Error).message}` });
    }
  }
}

/** Puts a batch in the spool; when even that fails, it stays queued here and is tried again. */
function toSpool(batch: ToWorker[]): void {
  const entries: SpoolEntry[] = [];
  const refs: number[] = [];
  for (const m of batch) {
    if (m.type === 'event') {
      entries.push({ type: 'event', event: m.event });
      refs.push(m.ref);
    } else if (m.type === 'lockout') entries.push({ type: 'lockout', key: m.doorId, state: m.state, now: m.now });
  }
  try {
    spool.append(entries);
  } catch (err) {
    send({ type: 'error', message: `neither the database (${reason}) nor the spool ${spool.path} (${(err as Error).message}) takes events` });
    queue = [...batch, ...queue];
    return schedule(backoffMs(++retries, RETRY));
  }
  if (refs.length > 0) send({ type: 'spooled', refs, reason: reason ?? 'storage failing' });
  for (const m of batch) if (m.type === 'flush') send({ type: 'flushed', token: m.token });
}

/** Tries the database again (backing off); on success the spool goes in first. Returns whether it works. */
function recover(): boolean {
  if (data.readonly || Date.now() < nextRecoveryAt) return false;
  nextRecoveryAt = Date.now() + backoffMs(++retries, RETRY);
  if (!openDb() || !replay()) return false;
  spooling = false;
  reason = null;
  busySince = null;
  lastReplayError = null;
  retries = 0;
  send({ type: 'storage', failing: false, reason: null });
  return true;
}

/** Stores everything spooled, in the order it happened, skipping what is stored already. Returns whether it worked. */
function replay(): boolean {
  const contents = readSpool(data.spoolDir);
  const rows: { ref: number; row: EventRow }[] = [];
  try {
    db!
      .transaction(() => {
        for (const e of contents.events) rows.push({ ref: -1, row: repos!.events.append(e) });
        for (const [key, l] of contents.lockouts) repos!.lockouts.save(key, l.state, l.now);
        // With nothing spooled, a write still proves the database takes them.
        if (contents.files.length === 0)
          db!.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('writer_probe', ?)`).run(new Date().toISOString());
      })
      .immediate();
  } catch (err) {
    // A full disk: the reserve makes the room, and the next try (at once) has it.
    if (isDiskFull(err) && freeReserve()) return replay();
    lastReplayError = err;
    return false;
  }
  if (contents.files.length === 0) return true;
  clearSpool(contents.files);
  spool.forget();
  report(rows, []);
  send({ type: 'replayed', events: contents.events.length, lockouts: contents.lockouts.size, damaged: contents.damaged });
  return true;
}

function freeReserve(): boolean {
  const bytes = data.reserveBytes > 0 ? releaseReserve(data.dataDir) : 0;
  if (bytes === 0) return false;
  reserveReleased = true;
  send({ type: 'reserve_released', bytes });
  return true;
}

/** After the reserve was freed, makes it again once the disk has room (checked at most once a minute). */
function keepReserve(): void {
  if (!reserveReleased || Date.now() - reserveCheckedAt < 60_000) return;
  reserveCheckedAt = Date.now();
  if (ensureReserve(data.dataDir, data.reserveBytes)) reserveReleased = false;
}

/** Stores what it can within the budget, spools the rest, closes. */
function close(budgetMs: number): void {
  const deadline = performance.now() + budgetMs;
  const pending = queue;
  queue = [];
  const events = (ms: ToWorker[]) => ms.filter((m) => m.type === 'event').length;
  let stored = 0;
  // The database may take writes again since the last try: store the spool now, before a shutdown, rather than
  // leave it in a runtime dir that a reboot empties. One try, waiting for a lock held elsewhere for what is left of
  // the budget but half a second (not longer: the worker is terminated past its grace, and must not be in SQLite then).
  if (spooling && !data.readonly) {
    try {
      db?.pragma(`busy_timeout = ${Math.max(0, Math.floor(deadline - performance.now() - 500))}`);
    } catch {
      // A connection that cannot even set this will fail the try below, which says why.
    }
    nextRecoveryAt = 0;
    recover();
  }
  while (pending.length > 0 && !spooling && performance.now() < deadline && (db || openDb())) {
    const chunk = pending.splice(0, 2000);
    try {
      store(chunk);
      stored += events(chunk);
    } catch (err) {
      pending.unshift(...chunk);
      if (!transient(err)) break;
      enterSpool(describe(err));
    }
  }
  const rest = events(pending);
  let spooled = 0;
  if (pending.length > 0) {
    try {
      spool.append(
        pending.flatMap((m): SpoolEntry[] =>
          m.type === 'event'
            ? [{ type: 'event', event: m.event }]
            : m.type === 'lockout'
              ? [{ type: 'lockout', key: m.doorId, state: m.state, now: m.now }]
              : [],
        ),
      );
      spooled = rest;
    } catch {
      // The daemon still holds them, and writes its own spool file last (EventWriter.stop).
    }
  }
  if (db && !spooling) truncateWal(db);
  db?.close();
  send({ type: 'closed', stored, spooled, lost: rest - spooled });
  port.close();
}

function prune(nowMs: number): void {
  if (spooling || !db || !repos) return;
  try {
    const r = pruneEvents(db, {
      nowMs,
      days: data.retention.days,
      outboxes: data.retention.outboxes,
      outboxPrefixes: data.retention.outboxPrefixes ?? [],
    });
    if (r.count > 0 || r.due > 0) send({ type: 'pruned', ...r });
    truncateWal(db);
  } catch (err) {
    send({ type: 'error', message: `pruning old events failed: ${(err as Error).message}` });
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'close') return close(m.budgetMs);
  if (m.type === 'prune') return prune(m.nowMs);
  queue.push(m);
  schedule();
});

if (data.readonly) enterSpool(dataDirWritable(data.dataDir).why ?? 'the data dir is on a read-only file system');
else if (openDb() && !replay()) enterSpool(describe(lastReplayError));
send({ type: 'ready' });
