// The console with 100,000 people: the people page and a search (p99, from a client on this machine), a page's
/* global URLSearchParams */
// size over the wire, and decision latency while browsers poll the doors and hold the live feed open.
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { hashPassword } from '../dist/application/console-users.js';
import { ConsoleRepo } from '../dist/storage/console-repo.js';
import { openStore } from '../dist/storage/store.js';
import { decisionLatencies, startDaemon } from './daemon-load.mjs';
import { freePort, ms, rng, scratch, seed, sleep, summary } from './lib.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const row = (scenario, metric, value, target, ok, note = '') => ({ scenario, metric, value, target, ok, note });

async function login(base) {
  const page = await fetch(base + 'login');
  const loginCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())[1];
  const res = await fetch(base + 'login', {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: loginCookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, name: 'bench', password: 'bench password' }),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith('keypadd_session='));
  if (!session) throw new Error(`bench login failed: ${res.status}`);
  return session.split(';')[0];
}

async function timed(base, cookie, path, n) {
  const lat = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(base + path(i), { headers: { Cookie: cookie } });
    const body = await res.arrayBuffer();
    lat.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${path(i)}: ${res.status}`);
    bytes = Math.max(bytes, body.byteLength);
  }
  return { ...summary(lat), bytes };
}

/** The bytes a browser receives for a page: gzipped, as it asks (fetch would count them unzipped). */
function wireBytes(base, cookie, path) {
  return new Promise((resolve, reject) => {
    get(base + path, { headers: { Cookie: cookie, 'Accept-Encoding': 'gzip' } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] ?? 'none' }));
    }).on('error', reject);
  });
}

export async function scenarioConsole({ quick }) {
  const people = quick ? 20_000 : 100_000;
  const seconds = quick ? 10 : 30;
  const { dir, remove } = scratch();
  const { pins } = seed(dir, people);
  const store = openStore(dir, {});
  new ConsoleRepo(store.db).addUser('bench', 'operator', hashPassword('bench password'), '2026-01-01T00:00:00Z');
  store.close();
  const port = await freePort();
  const daemon = await startDaemon(dir, { web: { enabled: true, listen: `127.0.0.1:${port}` } });
  const base = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    try {
      await fetch(base + 'login');
      break;
    } catch (err) {
      if (i > 250) throw err;
      await sleep(20);
    }
  }
  const cookie = await login(base);
  const n = quick ? 50 : 200;
  const list = await timed(base, cookie, (i) => `people?page=${1 + ((i * 37) % 2000)}`, n);
  const search = await timed(base, cookie, (i) => `people?q=Last${(i * 7919) % people}`, n);
  const card = await timed(base, cookie, (i) => `people?q=${1_000_000 + ((i * 7919) % people)}`, n);
  const wire = await wireBytes(base, cookie, 'people?page=7');

  const load = spawn(process.execPath, [join(ROOT, 'bench/console-load.mjs'), base, cookie, String(seconds), '10'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  load.stdout.on('data', (b) => (out += b));
  const done = new Promise((r) => load.once('exit', r));
  const random = rng(11);
  const lat = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) lat.push(...(await decisionLatencies(daemon, pins, 10, random, 10)));
  await done;
  await daemon.stop();
  remove();
  const polled = JSON.parse(out);
  const d = summary(lat);
  const who = `${people.toLocaleString('en')} people`;
  return [
    row('8 console', `people page (50 of ${who}): p99`, ms(list.p99), '< 50 ms', list.p99 < 50, `${n} pages, p50 ${ms(list.p50)}`),
    row('8 console', `search by name among ${who}: p99`, ms(search.p99), '< 50 ms', search.p99 < 50, `p50 ${ms(search.p50)}`),
    row('8 console', `search by card number: p99`, ms(card.p99), '< 50 ms', card.p99 < 50, `p50 ${ms(card.p50)}`),
    row(
      '8 console',
      'people page over the wire',
      `${(wire.bytes / 1024).toFixed(1)} KB`,
      '< 100 KB',
      wire.bytes < 100 * 1024,
      `${wire.encoding}; ${(list.bytes / 1024).toFixed(1)} KB of HTML unzipped; CSS and scripts cached`,
    ),
    row(
      '8 console',
      'decision p99 while 10 browsers poll the doors and hold the live feed',
      ms(d.p99),
      '< 2 ms',
      d.p99 < 2,
      `${d.n} grants; ${polled.requests} console requests, ${polled.errors} errors, p99 ${ms(polled.p99)}`,
    ),
  ];
}
