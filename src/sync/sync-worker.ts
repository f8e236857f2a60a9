/**
 * The sync worker: its own thread, database connection and timers, so fetching, parsing and applying a
 * 100,000-person pull never runs on the main thread, where keys and Wiegand edges are handled. It pulls every
 * `sync.interval_s`, sooner after a failure (backing off from 15 s up to the interval, with jitter), waits as
 * long as a 429 asks, raises sync_stale once when the cache gets older than `sync.max_age_h`, and runs a pull
 * at once when the daemon asks (`keypadd sync run`, the MQTT sync_now command).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { syncTimings } from '../config/policy.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Level } from '../log.js';
import { openStore } from '../storage/store.js';
import { lowerThreadPriority } from '../worker-threads.js';
import { Puller, type PullOptions, type PullResult } from './puller.js';
import type { FromSync, ToSync } from './protocol.js';
import { retryDelayMs } from './retry-schedule.js';
import { readSyncState, writeSyncState } from '../storage/sync-state.js';
import { syncEvent } from './sync-events.js';
import { readUpstreamToken } from './token.js';

lowerThreadPriority(10);
const { config, startedAt, retryBaseMs } = workerData as { config: Config; startedAt: number; retryBaseMs?: number };
const timings = syncTimings(config);
const port = parentPort!;
const send = (m: FromSync) => port.postMessage(m);
// Lines go to the daemon's logger, which owns the level (SIGUSR2) and the journald prefixes.
const log = createLogger(
  'sync',
  'debug',
  (line) => {
    const [level, ...rest] = line.split(' ');
    send({ type: 'log', level: level as Level, message: rest.join(' ').replace(/^sync: /, '') });
  },
  false,
);

const store = openStore(config.data_dir, process.env, config.pin_key_file, { alreadyChecked: true });
const stopping = new AbortController();
const puller = new Puller({
  config,
  store,
  log,
  token: () => readUpstreamToken(config),
  emit: (event) => send({ type: 'event', event }),
  signal: stopping.signal,
  ...(retryBaseMs !== undefined ? { retryBaseMs } : {}),
});

let timer: NodeJS.Timeout | undefined;
let running: Promise<unknown> = Promise.resolve();
let busy = false;

function schedule(ms: number): void {
  clearTimeout(timer);
  timer = setTimeout(() => void run({}), ms);
}

/** One pull at a time: a request during a pull (it may want --force) runs right after it. */
function run(opts: PullOptions): Promise<PullResult> {
  const next = running.then(() => pullOnce(opts));
  running = next.catch(() => undefined);
  return next;
}

async function pullOnce(opts: PullOptions): Promise<PullResult> {
  if (stopping.signal.aborted) return { ok: false, kind: 'refused', error: 'sync stopped', retryAfterMs: null };
  busy = true;
  send({ type: 'state', state: { ...readSyncState(store.db), status: 'syncing' } });
  const result = await puller.pull(opts).finally(() => (busy = false));
  const state = readSyncState(store.db);
  send({ type: 'state', state });
  checkStale();
  if (!stopping.signal.aborted) {
    const interval = timings.intervalMs;
    schedule(result.ok ? interval : retryDelayMs(state.consecutive_failures, interval, result.retryAfterMs));
  }
  return result;
}

/** sync_stale once per episode: the cache is older than max_age_h (or never filled, that long after start). */
function checkStale(): void {
  const s = readSyncState(store.db);
  const since = s.last_success_at ? Date.parse(s.last_success_at) : startedAt;
  const ageMs = Date.now() - since;
  if (ageMs < timings.maxAgeMs || s.stale_since !== null) return;
  const ageH = ageMs / 3_600_000;
  writeSyncState(store.db, { ...s, stale_since: new Date().toISOString() });
  const what = s.last_success_at ? `the last successful sync was ${ageH.toFixed(1)} h ago` : `no sync has succeeded in ${ageH.toFixed(1)} h`;
  log.error(`sync is stale: ${what}; doors decide from the cache they have`);
  send({
    type: 'event',
    event: syncEvent('sync_stale', Date.now(), `Credential cache is stale: ${what}`, {
      age_h: Math.round(ageH * 10) / 10,
      last_success_at: s.last_success_at,
    }),
  });
}

port.on('message', (m: ToSync) => {
  if (m.type === 'run') {
    void run(m.opts).then((result) => send({ type: 'result', id: m.id, result }));
  } else if (m.type === 'stop') {
    stopping.abort();
    clearTimeout(timer);
    clearInterval(staleTimer);
    // A pull in flight is abandoned (its staging is dropped; nothing was applied unless it had reached the commit).
    if (busy) log.info('stopping: the pull in flight is abandoned, the cache is unchanged');
    void running.finally(() => {
      store.close();
      port.close();
    });
  }
});

const staleTimer = setInterval(checkStale, 60_000);
// A pull cut short by a stop or a crash left "syncing" behind; it applied nothing (one transaction), so say so.
const found = readSyncState(store.db);
if (found.status === 'syncing')
  writeSyncState(store.db, {
    ...found,
    status: found.last_success_at ? 'failing' : 'pending',
    last_error: 'the last pull was interrupted (keypadd stopped); nothing of it was applied',
    last_error_kind: 'interrupted',
  });
send({ type: 'state', state: readSyncState(store.db) });
// First pull: at once when the cache is due, else when the interval since the last success runs out.
const last = readSyncState(store.db).last_success_at;
schedule(last ? Math.max(1000, timings.intervalMs - (Date.now() - Date.parse(last))) : 1000);
