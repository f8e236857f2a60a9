// The benchmark scenarios. Each returns rows: { scenario, metric, value, target, ok, note }.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { configSchema } from '../dist/config/schema.js';
import { lockoutPolicy } from '../dist/config/lockout-schema.js';
import { DEFAULT_WIEGAND } from '../dist/core/wiegand.js';
import { encodeCard, toPulses } from '../dist/core/wiegand-encoder.js';
import { SimGpioPort } from '../dist/drivers/gpio/sim-port.js';
import { WiegandReader } from '../dist/drivers/wiegand/wiegand-reader.js';
import { DoorController } from '../dist/door/door-controller.js';
import { SimDoorHardware } from '../dist/drivers/sim/sim-door.js';
import { TokenRepo } from '../dist/storage/token-repo.js';
import { openStore } from '../dist/storage/store.js';
import { decisionLatencies, quiet, seedEvents, startDaemon, underLoad } from './daemon-load.mjs';
import { fileSize, freePort, haveCommand, mosquitto, ms, rng, scratch, seed, sleep, summary } from './lib.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const row = (scenario, metric, value, target, ok, note = '') => ({ scenario, metric, value, target, ok, note });

export async function scenarioDecisions({ quick }) {
  const people = quick ? 20_000 : 100_000;
  const decisions = quick ? 2_000 : 10_000;
  const rows = [];
  const { dir, remove } = scratch();
  const { pins } = seed(dir, people);
  const random = rng(3);

  // 1. Quiet daemon.
  let daemon = await startDaemon(dir);
  await decisionLatencies(daemon, pins, 200, random); // warm-up
  const s1 = summary(await decisionLatencies(daemon, pins, decisions, random));
  await daemon.stop();
  rows.push(
    row(
      '1 decision latency',
      `p50 (${people.toLocaleString('en')} people, ${decisions.toLocaleString('en')} grants)`,
      ms(s1.p50),
      '< 0.2 ms',
      s1.p50 < 0.2,
    ),
  );
  rows.push(row('1 decision latency', 'p99', ms(s1.p99), '< 1 ms', s1.p99 < 1));
  rows.push(row('1 decision latency', 'p99.9', ms(s1.p999), '< 2 ms', s1.p999 < 2));

  // 2. While a full sync of as many upstream people applies and a 10,000-event backlog drains to Mosquitto; then each
  // load alone, and none, so a miss can be traced to its load (or to the machine).
  if (!haveCommand('mosquitto')) {
    rows.push(row('2 under load', 'all', 'not run', 'mosquitto needed', null, 'mosquitto is not installed'));
  } else {
    const min = Math.min(decisions, 3000);
    const both = await underLoad(dir, pins, random, { people, mqtt: true, sync: true, min, version: 1 });
    const load = `${people.toLocaleString('en')}-person sync (${both.pullOk ? `${(both.pullMs / 1000).toFixed(1)} s` : 'FAILED'}) + 10k-event MQTT drain`;
    rows.push(
      row(
        '2 under load',
        `decision p99 during a ${load}`,
        ms(both.lat.p99),
        '< 2 ms',
        both.lat.p99 < 2,
        `${both.lat.n} grants, max ${ms(both.lat.max)}`,
      ),
    );
    rows.push(row('2 under load', 'event-loop delay max', ms(both.lagMax), '< 5 ms', both.lagMax < 5));
    rows.push(row('2 under load', 'event-loop delay p99', ms(both.lagP99), '< 1 ms', both.lagP99 < 1));
    if (!quick) {
      for (const [name, o] of [
        ['the sync alone', { sync: true, version: 2 }],
        ['the MQTT drain alone', { mqtt: true }],
        ["no load (this machine's floor)", {}],
      ]) {
        const r = await underLoad(dir, pins, random, { people, min, ...o });
        rows.push(
          row(
            '2 under load',
            `event-loop delay max / p99 with ${name}`,
            `${ms(r.lagMax)} / ${ms(r.lagP99)}`,
            'report',
            null,
            `decision p99 ${ms(r.lat.p99)}`,
          ),
        );
      }
    }
  }
  remove();
  return rows;
}

export async function scenarioWiegand({ quick }) {
  const frames = quick ? 2_000 : 10_000;
  const random = rng(11);
  const run = (corruptEvery, stall) => {
    const port = new SimGpioPort();
    const reader = new WiegandReader({ name: 'bench', d0: 5, d1: 6, activeLow: true, decoder: DEFAULT_WIEGAND, maxFramesPerSecond: 1e9 });
    reader.attach(port);
    const cards = [];
    reader.onCard((c) => cards.push(c));
    const expected = [];
    const list = [];
    let corrupted = 0;
    for (let i = 0; i < frames; i++) {
      const fc = i % 256;
      const cn = (i * 7919) % 65536;
      const f = encodeCard('h10301', fc, cn);
      if (corruptEvery && i % corruptEvery === corruptEvery - 1) {
        const fault = corrupted++ % 3;
        const at = Math.floor(random() * f.length);
        if (fault === 0) f[at] ^= 1;
        else if (fault === 1) f.splice(at, 1);
        else f.splice(at, 0, random() < 0.5 ? 0 : 1);
      } else expected.push(String(fc * 65536 + cn));
      list.push(f);
    }
    const pulses = toPulses(list, { startMs: 0, intervalMs: 1, jitter: 0.2, frameGapMs: 60, random });
    // A stalled event loop: edges inside the stall never reach the callback as separate edges (onoff reads the
    // value file once per wake-up, and a whole pulse leaves the line where it was), so those bits are lost.
    let lost = 0;
    for (const p of pulses) {
      if (stall && p.tMs % stall.everyMs < stall.lengthMs) {
        lost++;
        continue;
      }
      reader.pulse(p.line, p.tMs);
    }
    reader.flushAt(pulses.at(-1).tMs + 100);
    reader.close();
    const wrong = cards.filter((c, i) => c !== expected[i]).length;
    return { cards, expected, corrupted, errors: reader.stats.errors, wrong, lost };
  };
  const clean = run(0, null);
  const dirty = run(100, null);
  const stalled = run(0, { everyMs: 1000, lengthMs: 5 });
  const stalledWrong = stalled.cards.filter((c) => !clean.expected.includes(c)).length;
  return [
    row(
      '3 Wiegand',
      `frames decoded (${frames.toLocaleString('en')}, 1 ms ±20%)`,
      `${clean.cards.length}/${frames}`,
      '100%',
      clean.cards.length === frames && clean.wrong === 0,
    ),
    row('3 Wiegand', '1% corrupted: wrong card numbers', String(dirty.wrong), '0', dirty.wrong === 0),
    row(
      '3 Wiegand',
      '1% corrupted: flagged as read errors',
      `${dirty.errors}/${dirty.corrupted}`,
      'all',
      dirty.errors === dirty.corrupted && dirty.cards.length === frames - dirty.corrupted,
    ),
    row(
      '3 Wiegand',
      'loop stalls of 5 ms each second (coalesced edges)',
      `${stalled.lost} pulses lost, ${stalled.errors} frames read errors, ${stalledWrong} wrong cards`,
      'report',
      stalledWrong === 0,
      'a stalled loop costs whole frames (read errors), never a wrong card',
    ),
  ];
}

export async function scenarioOutbox({ quick }) {
  if (!haveCommand('mosquitto')) return [row('5 outbox', 'all', 'not run', 'mosquitto needed', null)];
  const n = quick ? 2_000 : 10_000;
  const broker = await mosquitto();
  const { dir, remove } = scratch();
  seedEvents(dir, n);
  const seen = new Set();
  const consumer = mqtt.connect(broker.url, { clean: true, protocolVersion: 4 });
  await new Promise((r) => consumer.once('connect', () => consumer.subscribe('keypadd/bench/+/event', { qos: 1 }, r)));
  consumer.on('message', (_t, p) => seen.add(JSON.parse(p.toString()).id));
  const configFile = join(dir, 'c.yaml');
  (await import('node:fs')).writeFileSync(configFile, `mqtt: { url: "${broker.url}", node_id: bench }\nclock: { trust: always }\n`);
  const start = () =>
    spawn(process.execPath, [join(ROOT, 'bin/keypadd'), '--config', configFile, '--data-dir', dir, 'run', '--sim'], { stdio: 'ignore' });
  const t0 = performance.now();
  let child = start();
  while (seen.size < n && performance.now() - t0 < 60_000) await sleep(5);
  const drainMs = performance.now() - t0;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  // Kill -9 halfway through a second backlog, restart: nothing may be missing.
  seedEvents(dir, n);
  child = start();
  while (seen.size < n + n / 2) await sleep(1);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  child = start();
  const t1 = performance.now();
  while (seen.size < 2 * n && performance.now() - t1 < 60_000) await sleep(10);
  const lost = 2 * n - seen.size;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  consumer.end(true);
  broker.stop();
  remove();
  return [
    row(
      '5 outbox',
      `${n.toLocaleString('en')}-event backlog drained (start of keypadd to last event received)`,
      ms(drainMs),
      '< 5 s',
      drainMs < 5000,
    ),
    row('5 outbox', 'SIGKILL at 50%, restart: events lost', String(lost), '0', lost === 0),
  ];
}

export async function scenarioFootprint({ quick }) {
  const people = quick ? 20_000 : 100_000;
  const { dir, remove } = scratch();
  seed(dir, people);
  const dbBytes = fileSize(join(dir, 'keypadd.db')) + fileSize(join(dir, 'keypadd.db-wal'));
  const t0 = performance.now();
  // As installed: the unit's NODE_OPTIONS (systemd/keypadd.service).
  const unit = readFileSync(join(ROOT, 'systemd/keypadd.service'), 'utf8');
  const unitEnv = Object.fromEntries([...unit.matchAll(/^Environment=(NODE_OPTIONS|MALLOC_ARENA_MAX)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const child = spawn(process.execPath, [join(ROOT, 'bin/keypadd'), '--data-dir', dir, 'run', '--sim'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...unitEnv },
  });
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  while (!err.includes(' running ')) await sleep(2);
  const readyMs = performance.now() - t0;
  await sleep(3000);
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)[1]);
  const rssMb = kb('VmRSS') / 1024;
  const anonMb = kb('RssAnon') / 1024;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  remove();
  return [
    row(
      '6 footprint',
      `idle RSS (${people.toLocaleString('en')} people)`,
      `${rssMb.toFixed(0)} MB`,
      '< 100 MB',
      rssMb < 100,
      `${anonMb.toFixed(0)} MB private; the rest is Node's own mapped code; unit's NODE_OPTIONS and MALLOC_ARENA_MAX`,
    ),
    row(
      '6 footprint',
      'start-up to ready (relay locked, drivers up)',
      ms(readyMs),
      '< 1.5 s',
      readyMs < 1500,
      'from spawning node to the "running" line',
    ),
    row(
      '6 footprint',
      `database size per ${people.toLocaleString('en')} people (PIN + card each)`,
      `${(dbBytes / 1_048_576).toFixed(1)} MB`,
      'report',
      null,
    ),
  ];
}

export async function scenarioApi({ quick }) {
  const seconds = quick ? 5 : 30;
  const { dir, remove } = scratch();
  const { pins } = seed(dir, quick ? 20_000 : 100_000);
  const port = await freePort();
  const daemon = await startDaemon(dir, { api: { enabled: true, listen: `127.0.0.1:${port}` } });
  const admin = openStore(dir, {}, null, { alreadyChecked: true });
  const token = new TokenRepo(admin.db).create('bench', ['account.person.readonly'], '2026-01-01T00:00:00Z').token;
  admin.close();
  while (!daemon.status().api?.url) await sleep(20);
  const load = spawn(process.execPath, [join(ROOT, 'bench/api-load.mjs'), `http://127.0.0.1:${port}`, token, String(seconds), '1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  load.stdout.on('data', (b) => (out += b));
  const done = new Promise((r) => load.once('exit', r));
  const random = rng(5);
  const lat = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) lat.push(...(await decisionLatencies(daemon, pins, 10, random, 10)));
  await done;
  await daemon.stop();
  remove();
  const r = JSON.parse(out);
  const d = summary(lat);
  return [
    row(
      '7 API',
      `GET person credentials at ${r.rate} req/s for ${seconds} s: p99`,
      ms(r.p99),
      '< 20 ms',
      r.p99 < 20,
      `${r.requests} requests, p50 ${ms(r.p50)}`,
    ),
    row('7 API', 'errors', String(r.errors), '0', r.errors === 0),
    row('7 API', 'decision p99 meanwhile', ms(d.p99), '< 2 ms', d.p99 < 2, `${d.n} grants`),
  ];
}

export async function scenarioLockout() {
  // The real door code with a manual clock: an attacker types a wrong PIN every 2 s, 10,000 times; then again with
  // a valid PIN (theirs, a visitor's, a shared one) typed after every second guess, the attack a grant reset allowed.
  const attack = (interleaved) => {
    const clock = { wall: Date.now(), mono: 0, wallMs: () => clock.wall, monoMs: () => clock.mono, trusted: () => true };
    const config = configSchema.parse({ doors: [{ id: 1, name: 'Bench' }] });
    const hw = new SimDoorHardware();
    const evaluated = [];
    let grants = 0;
    const valid = {
      credential: { id: 'c1', kind: 'PIN', enabled: true, createdAtMs: 0 },
      person: { id: 1, name: 'Insider', enabled: true, validFromMs: null, validToMs: null },
      roles: [{ doors: [], slots: [] }],
      reservations: [],
    };
    const door = new DoorController({
      door: config.doors[0],
      hw,
      clock,
      zone: 'UTC',
      pinRules: { min_length: 4, max_length: 8, generated_length: 6, weak_pins: 'warn' },
      lockoutPolicy: lockoutPolicy(config.lockout),
      cardPolicy: null,
      lookup: (_kind, value) => (value === '24680135' ? valid : null),
      events: {
        record: (e) => {
          if (e.reason === 'unknown_credential') evaluated.push(clock.mono);
          if (e.event_type === 'access_granted') grants++;
        },
        saveLockout: () => undefined,
        whenStored: () => Promise.resolve(true),
      },
      log: quiet(),
    });
    door.start();
    for (let i = 0; i < 10_000; i++) {
      hw.typeKeys(`${String(100000 + i)}#`);
      if (interleaved && i % 2 === 1) hw.typeKeys('24680135#');
      clock.mono += 2000;
      clock.wall += 2000;
    }
    door.stop();
    const hours = clock.mono / 3_600_000;
    // The most guesses looked up in any rolling hour, over the whole run.
    let worst = 0;
    for (let i = 0, j = 0; i < evaluated.length; i++) {
      while (evaluated[i] - evaluated[j] >= 3_600_000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    return {
      firstHour: evaluated.filter((t) => t < 3_600_000).length,
      lastHour: evaluated.filter((t) => t >= clock.mono - 3_600_000).length,
      worst,
      total: evaluated.length,
      hours,
      grants,
    };
  };
  const plain = attack(false);
  const mixed = attack(true);
  const limit = configSchema.parse({}).lockout.max_per_hour;
  return [
    row(
      '8 lockout',
      'guesses looked up in the first hour (one try every 2 s)',
      String(plain.firstHour),
      `<= ${limit}`,
      plain.firstHour <= limit,
      'lockouts 30, 60, 120 s, then the hourly limit',
    ),
    row(
      '8 lockout',
      'guesses per hour at the cap',
      String(plain.lastHour),
      `<= ${limit}`,
      plain.lastHour <= limit,
      `${plain.total} of 10,000 tries looked up over ${plain.hours.toFixed(1)} h`,
    ),
    row('8 lockout', 'most guesses in any rolling hour', String(plain.worst), `<= ${limit}`, plain.worst <= limit),
    row(
      '8 lockout',
      'with a valid PIN after every 2nd guess: first hour',
      String(mixed.firstHour),
      `<= ${limit}`,
      mixed.firstHour <= limit,
      `${mixed.grants} grants in between reset nothing`,
    ),
    row(
      '8 lockout',
      'with a valid PIN after every 2nd guess: most in any rolling hour',
      String(mixed.worst),
      `<= ${limit}`,
      mixed.worst <= limit,
      `${mixed.total} of 10,000 tries looked up over ${mixed.hours.toFixed(1)} h`,
    ),
  ];
}
