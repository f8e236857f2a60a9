// The daemon in the bench process, and what scenarios 1, 2 and 7 do to it: paced PIN decisions, timed from the '#'
// key to the relay write, while loads run (a sync from an upstream process, an outbox drain to Mosquitto).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../dist/config/schema.js';
import { Daemon } from '../dist/daemon.js';
import { createLogger } from '../dist/log.js';
import { openDatabase } from '../dist/storage/database.js';
import { EventRepo } from '../dist/storage/event-repo.js';
import { newEventId } from '../dist/storage/event-id.js';
import { syncConfig, upstream } from './sync-scenario.mjs';
import { mosquitto, sleep, summary } from './lib.mjs';

export const quiet = () => (process.env.BENCH_LOG ? createLogger('bench', 'warn') : createLogger('bench', 'error', () => undefined));

export function seedEvents(dataDir, n) {
  const db = openDatabase(dataDir);
  const repo = new EventRepo(db);
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      repo.append({
        door_id: 1,
        event_code: 24,
        event_type: 'access_denied',
        event_label: 'seeded',
        reason: 'unknown_credential',
        uid: newEventId(Date.now()),
        created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    }
  })();
  db.close();
}

export async function startDaemon(dir, extra = {}) {
  const config = configSchema.parse({
    data_dir: dir,
    clock: { trust: 'always' },
    doors: [{ id: 1, name: 'Bench', unlock_ms: 600_000, max_unlock_ms: 6_000_000 }],
    ...extra,
  });
  const daemon = new Daemon({ config, sim: true, log: quiet() });
  await daemon.start();
  return daemon;
}

/**
 * Grants for random valid PINs: time from the `#` key to the relay write, as the real door does it. `paceMs`
 * spaces them (a real door sees a few a minute; the bench must not become the main thread's load itself).
 */
export async function decisionLatencies(daemon, pins, count, random, paceMs = 0) {
  const hw = daemon.doors.get(1).hw;
  const out = [];
  for (let i = 0; i < count; i++) {
    const pin = pins[Math.floor(random() * pins.length)];
    hw.typeKeys(pin);
    const before = hw.relay.history.length;
    const t0 = performance.now();
    hw.typeKeys('#');
    const t1 = hw.relay.history.at(-1).at;
    if (hw.relay.history.length === before && hw.relay.history.length < 1000) throw new Error('a valid PIN did not reach the relay');
    out.push(t1 - t0);
    if (paceMs > 0) await sleep(paceMs);
    else if (i % 10 === 0) await new Promise((r) => setImmediate(r)); // let the writer's acks and MQTT traffic in
  }
  return out;
}

/** Paced decisions on a daemon while the chosen loads run; the main thread's event-loop delay meanwhile. */
export async function underLoad(dir, pins, random, { people, mqtt: withMqtt = false, sync = false, min, version = 1 }) {
  const broker = withMqtt ? await mosquitto({ nice: process.env.BENCH_BROKER_NICE ? Number(process.env.BENCH_BROKER_NICE) : 0 }) : null;
  const up = sync ? await upstream(people, people / 10, version) : null;
  const tokenFile = join(dir, 'upstream-token');
  writeFileSync(tokenFile, 'bench-token\n');
  if (broker) seedEvents(dir, 10_000);
  const daemon = await startDaemon(dir, {
    ...(broker ? { mqtt: { url: broker.url, node_id: 'bench' } } : {}),
    ...(up ? { sync: { ...syncConfig(up.url, tokenFile) } } : {}),
  });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  let pulled = up ? null : { ok: true };
  const pull = up ? daemon.request({ cmd: 'sync_run', full: true }).then((r) => (pulled = r.result)) : Promise.resolve();
  const lat = [];
  // Decisions all through the pull, and at least `min` of them.
  while (pulled === null || lat.length < min) lat.push(...(await decisionLatencies(daemon, pins, 50, random, 1)));
  await pull;
  const pullMs = performance.now() - t0;
  h.disable();
  await daemon.stop();
  broker?.stop();
  await up?.stop();
  // Node 20's histogram records the whole interval between runs of its 1 ms timer; the delay is what exceeds it.
  return { lat: summary(lat), lagMax: h.max / 1e6 - 1, lagP99: Math.max(0, h.percentile(99) / 1e6 - 1), pullMs, pullOk: pulled?.ok === true };
}
