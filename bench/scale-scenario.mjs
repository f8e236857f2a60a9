// Scenario 10: a million people (`--scale=N`; the full run's default is 1,000,000). A real `keypadd run --sim` child,
// as installed (the unit's NODE_OPTIONS), makes its first full pull of N people + N PINs + N/10 reservations from the
// bench upstream: timed, with its peak RSS. Then, on that database: its size, start-up to ready and idle RSS of a
// fresh daemon, and the decision latency for PINs that came from the upstream (in-process, '#' to relay write).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decisionLatencies, startDaemon } from './daemon-load.mjs';
import { fileSize, ms, rng, scratch, sleep, summary } from './lib.mjs';
import { syncConfig, upstream } from './sync-scenario.mjs';
import { upstreamPin } from './upstream-data.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const row = (scenario, metric, value, target, ok, note = '') => ({ scenario, metric, value, target, ok, note });
const kb = (pid, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

/** As installed: the unit's NODE_OPTIONS and MALLOC_ARENA_MAX (systemd/keypadd.service). */
function unitEnv() {
  const unit = readFileSync(join(ROOT, 'systemd/keypadd.service'), 'utf8');
  return Object.fromEntries([...unit.matchAll(/^Environment=(NODE_OPTIONS|MALLOC_ARENA_MAX)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

/** `keypadd run --sim` on `dir`; resolves at its "running" line with the time it took. */
async function runDaemon(dir, env) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/keypadd'), '--data-dir', dir, 'run', '--sim'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  while (!err.includes(' running ')) {
    if (child.exitCode !== null) throw new Error(`keypadd run exited: ${err}`);
    await sleep(2);
  }
  const readyMs = performance.now() - t0;
  const stop = () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM')));
  return { child, readyMs, stop, log: () => err };
}

export async function scenarioScale({ scale }) {
  const people = scale;
  const n = people.toLocaleString('en');
  const reservations = Math.round(people / 10);
  const { dir, remove } = scratch();
  const tokenFile = join(dir, 'upstream-token');
  writeFileSync(tokenFile, 'bench-token\n', { mode: 0o600 });
  const up = await upstream(people, reservations, 1);
  const configFile = join(dir, 'c.yaml');
  writeFileSync(configFile, JSON.stringify({ clock: { trust: 'always' }, sync: syncConfig(up.url, tokenFile) }));
  const env = { ...process.env, ...unitEnv(), KEYPADD_CONFIG: configFile };

  // 1. The first full pull: the worker starts its own 1 s after start. Peak RSS sampled as it goes (VmHWM is the max).
  const syncing = await runDaemon(dir, env);
  let state;
  for (;;) {
    const out = spawnSync(process.execPath, [join(ROOT, 'bin/keypadd'), '--data-dir', dir, '--json', 'sync', 'status'], { env, encoding: 'utf8' });
    // While the apply commits its transaction (a minute at a million), the CLI can wait out its busy timeout and fail.
    if (out.status !== 0) {
      await sleep(1000);
      continue;
    }
    state = JSON.parse(out.stdout);
    if (state.status === 'complete' || state.status === 'failing') break;
    await sleep(1000);
  }
  const syncMs = Date.parse(state.last_success_at) - Date.parse(state.last_attempt_at);
  const peakMb = kb(syncing.child.pid, 'VmHWM') / 1024;
  // The worker's log line can come a moment after the state that says complete.
  for (let i = 0; i < 40 && !/applied in \d+ ms/.test(syncing.log()); i++) await sleep(50);
  const applyMs = [...syncing.log().matchAll(/applied in (\d+) ms/g)].map((m) => Number(m[1])).at(-1);
  await syncing.stop();
  await up.stop();
  const dbMb = (fileSize(join(dir, 'keypadd.db')) + fileSize(join(dir, 'keypadd.db-wal'))) / 1_048_576;

  // 2. A fresh daemon on that database, without sync: start-up to ready, then idle RSS after 3 s.
  writeFileSync(configFile, JSON.stringify({ clock: { trust: 'always' } }));
  const fresh = await runDaemon(dir, env);
  await sleep(3000);
  const idleMb = kb(fresh.child.pid, 'VmRSS') / 1024;
  await fresh.stop();

  // 3. Decisions for upstream PINs (role 1 opens door 1), in-process, paced as in scenario 1.
  const random = rng(5);
  const pins = Array.from({ length: 5000 }, () => upstreamPin(1 + Math.floor(random() * people)));
  const daemon = await startDaemon(dir);
  await decisionLatencies(daemon, pins, 200, random);
  const lat = summary(await decisionLatencies(daemon, pins, 10_000, random));
  await daemon.stop();
  // BENCH_KEEP=1 keeps the million-people data dir for profiling a start on it (its path goes to stderr).
  if (process.env.BENCH_KEEP === '1') process.stderr.write(`scale: data dir kept at ${dir}\n`);
  else remove();

  const synced = state.status === 'complete';
  const c = state.last_counts;
  return [
    row(
      '10 scale',
      `first full pull: ${n} people + ${n} PINs + ${reservations.toLocaleString('en')} reservations`,
      synced ? ms(syncMs) : `failed: ${state.last_error ?? ''}`,
      '< 120 s',
      synced && syncMs < 120_000,
      c ? `${c.people.added} people, ${c.credentials.added} credentials added; apply transaction ${applyMs} ms` : '',
    ),
    row('10 scale', 'daemon peak RSS (VmHWM) during the pull', `${peakMb.toFixed(0)} MB`, '< 300 MB', peakMb < 300, "the unit's NODE_OPTIONS"),
    row('10 scale', `decision p50 (${n} people, 10,000 grants)`, ms(lat.p50), 'report', null),
    row('10 scale', 'decision p99', ms(lat.p99), '< 1 ms', lat.p99 < 1),
    row('10 scale', 'decision p99.9', ms(lat.p999), 'report', null, `max ${ms(lat.max)}`),
    row('10 scale', 'database size (file + WAL)', `${dbMb.toFixed(0)} MB`, 'report', null),
    row('10 scale', 'idle RSS', `${idleMb.toFixed(0)} MB`, 'report', null, '3 s after ready, no sync configured'),
    row('10 scale', 'start-up to ready', ms(fresh.readyMs), '< 2 s', fresh.readyMs < 2000, 'spawning node to the "running" line'),
  ];
}
