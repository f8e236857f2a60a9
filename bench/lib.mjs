// Shared pieces of the benchmarks: a seeded database, percentiles, a Mosquitto, a table.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../dist/storage/store.js';

export function scratch(prefix = 'keypadd-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic random numbers, so every run measures the same data. */
export function rng(seed = 1) {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/**
 * `people` people, each with an 8-digit PIN and a card, all in the built-in 24/7 role, inserted the way the admin
 * layer stores them (keyed digests). Returns some PINs and cards to present.
 */
export function seed(dataDir, people) {
  const store = openStore(dataDir, {});
  const db = store.db;
  const random = rng(7);
  const pins = new Set();
  while (pins.size < people) pins.add(String(Math.floor(random() * 1e8)).padStart(8, '0'));
  const pinList = [...pins];
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const person = db.prepare(`INSERT INTO people (first_name, last_name, enabled, created_at, updated_at) VALUES (?, ?, 1, ?, ?)`);
  const role = db.prepare(`INSERT INTO person_roles (person_id, role_id) VALUES (?, 1)`);
  const cred = db.prepare(
    `INSERT INTO credentials (id, person_id, credential_type_id, value, digest, pin_length, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < people; i++) {
      const id = Number(person.run(`First${i}`, `Last${i}`, now, now).lastInsertRowid);
      role.run(id);
      cred.run(`cred_p${i}`, id, 6, null, store.digest(pinList[i]), 8, now, now);
      const card = String(1_000_000 + i);
      cred.run(`cred_c${i}`, id, 5, card, store.digest(card), null, now, now);
    }
  })();
  store.close();
  return { pins: pinList, cards: Array.from({ length: people }, (_, i) => String(1_000_000 + i)) };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s[s.length - 1] };
}

export function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = srv.address().port;
      srv.close(() => resolve(port));
    });
  });
}

/** A Mosquitto on a free port; `nice` models a broker on another machine (not competing for this CPU). */
export async function mosquitto({ nice = 0 } = {}) {
  const { dir, remove } = scratch('keypadd-bench-broker-');
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n${process.getuid?.() === 0 ? 'user root\n' : ''}`);
  const proc = nice
    ? spawn('nice', ['-n', String(nice), 'mosquitto', '-c', conf], { stdio: 'ignore' })
    : spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const c = createConnection(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), r(true)));
      c.once('error', () => r(false));
    });
    if (ok) break;
    await sleep(25);
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, stop: () => (proc.kill('SIGKILL'), remove()) };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function fileSize(path) {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function haveCommand(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const ms = (v) => (Number.isFinite(v) ? `${v < 1 ? v.toFixed(3) : v.toFixed(1)} ms` : 'n/a');
