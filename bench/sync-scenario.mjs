// Scenario 4: a full pull of 100,000 people + 100,000 credentials + 10,000 reservations from a local upstream, by a
// real `keypadd run --sim` child (its own sync worker), timed and with its peak RSS (VmHWM); then a second pull that
// fails at 90% must leave the cache exactly as it was.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../dist/storage/database.js';
import { freePort, ms, scratch, sleep } from './lib.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const row = (scenario, metric, value, target, ok, note = '') => ({ scenario, metric, value, target, ok, note });

/** The bench upstream in its own process; resolves once it listens. */
export async function upstream(people, reservations, version, failPage = 0) {
  const port = await freePort();
  const args = [join(ROOT, 'bench/upstream-server.mjs'), String(port), String(people), String(reservations), String(version), String(failPage)];
  // BENCH_UPSTREAM_NICE models an upstream on another machine (not competing for this CPU).
  const nice = Number(process.env.BENCH_UPSTREAM_NICE ?? 0);
  const proc = nice
    ? spawn('nice', ['-n', String(nice), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => proc.stdout.once('data', r));
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => (proc.once('exit', r), proc.kill('SIGKILL'))) };
}

/** A sync config for `url`: upstream role 1 and channel 1 open local door 1. */
export function syncConfig(url, tokenFile) {
  return { url, token_file: tokenFile, interval_s: 86_400, doors: [{ door: 1, role_ids: [1], channel_ids: [1] }] };
}

function cacheDigest(dir) {
  const db = openDatabase(dir, { alreadyChecked: true });
  const h = createHash('sha256');
  for (const sql of [
    `SELECT upstream_id, first_name, last_name, email, enabled FROM people ORDER BY id`,
    `SELECT upstream_id, person_id, digest, enabled FROM credentials ORDER BY id`,
    `SELECT upstream_id, person_id, start_time, end_time FROM reservations ORDER BY id`,
  ]) {
    for (const r of db.prepare(sql).iterate()) h.update(JSON.stringify(r));
  }
  const people = db.prepare(`SELECT count(*) AS n FROM people WHERE upstream_id IS NOT NULL`).get().n;
  db.close();
  return { digest: h.digest('hex'), people };
}

export async function scenarioSync({ quick }) {
  const people = quick ? 20_000 : 100_000;
  const reservations = people / 10;
  const { dir, remove } = scratch();
  const tokenFile = join(dir, 'upstream-token');
  writeFileSync(tokenFile, 'bench-token\n', { mode: 0o600 });
  let up = await upstream(people, reservations, 1);
  const configFile = join(dir, 'c.yaml');
  const writeConfig = (url) => writeFileSync(configFile, JSON.stringify({ clock: { trust: 'always' }, sync: syncConfig(url, tokenFile) }));
  writeConfig(up.url);
  const unit = readFileSync(join(ROOT, 'systemd/keypadd.service'), 'utf8');
  const unitEnv = Object.fromEntries([...unit.matchAll(/^Environment=(NODE_OPTIONS|MALLOC_ARENA_MAX)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const env = { ...process.env, ...unitEnv, KEYPADD_CONFIG: configFile };
  let log = '';
  const startDaemon = async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/keypadd'), '--data-dir', dir, 'run', '--sim'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    let err = '';
    child.stderr.on('data', (b) => ((err += b), (log += b)));
    while (!err.includes(' running ')) await sleep(5);
    return child;
  };
  const syncRun = (...args) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/keypadd'), '--data-dir', dir, '--json', 'sync', 'run', ...args], {
      env,
      encoding: 'utf8',
    });
    return JSON.parse(r.stdout);
  };
  const hwm = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

  let child = await startDaemon();
  // The worker's own first pull starts 1 s after start; wait for it rather than race it.
  let state;
  for (;;) {
    state = JSON.parse(
      spawnSync(process.execPath, [join(ROOT, 'bin/keypadd'), '--data-dir', dir, '--json', 'sync', 'status'], { env, encoding: 'utf8' }).stdout,
    );
    if (state.status === 'complete' || state.status === 'failing') break;
    await sleep(200);
  }
  const first = {
    ok: state.status === 'complete',
    ms: Date.parse(state.last_success_at) - Date.parse(state.last_attempt_at),
    counts: state.last_counts,
  };
  // Timed again on demand, as a full reconcile that rewrites every name (version 2): the heavier case.
  await up.stop();
  up = await upstream(people, reservations, 2);
  writeConfig(up.url);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  child = await startDaemon();
  const full = syncRun('--full');
  await sleep(300); // spawnSync held this loop: let the daemon's log lines in
  const applyMs = [...log.matchAll(/applied in (\d+) ms/g)].map((m) => Number(m[1]));
  const peakMb = hwm(child.pid);
  const before = cacheDigest(dir);

  // Fail at 90% of the people pages, with version 3 upstream: nothing may change.
  await up.stop();
  const pages = Math.ceil(people / 500);
  up = await upstream(people, reservations, 3, Math.ceil(pages * 0.9));
  writeConfig(up.url);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  child = await startDaemon();
  const failed = syncRun('--full');
  const after = cacheDigest(dir);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await up.stop();
  remove();

  const n = people.toLocaleString('en');
  const c = full.ok ? full.counts : null;
  return [
    row(
      '4 sync',
      `first full pull: ${n} people + ${n} PINs + ${reservations.toLocaleString('en')} reservations`,
      first.ok ? ms(first.ms) : 'failed',
      '< 20 s',
      first.ok && first.ms < 20_000,
      first.counts
        ? `${first.counts.people.added} people, ${first.counts.credentials.added} credentials, ${first.counts.reservations.added} reservations added`
        : '',
    ),
    row(
      '4 sync',
      'full reconcile changing every person',
      full.ok ? ms(full.ms) : `failed: ${full.error}`,
      '< 20 s',
      full.ok && full.ms < 20_000,
      c
        ? `${c.people.changed} people changed, ${c.skipped} skipped; the apply transaction took ${applyMs.at(-1)} ms (first pull: ${applyMs[0]} ms)`
        : '',
    ),
    row(
      '4 sync',
      'daemon peak RSS (VmHWM) over both pulls',
      `${peakMb.toFixed(0)} MB`,
      '< 250 MB',
      peakMb < 250,
      "the unit's NODE_OPTIONS; staging is in SQLite temp tables",
    ),
    row(
      '4 sync',
      'failure at 90% (500 on every retry): cache unchanged',
      failed.ok ? 'pull did not fail' : after.digest === before.digest ? 'unchanged' : 'CHANGED',
      'unchanged',
      !failed.ok && after.digest === before.digest,
      `${after.people} synced people; ${failed.kind ?? ''}`,
    ),
  ];
}
