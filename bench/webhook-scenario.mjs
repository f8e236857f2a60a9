// Scenario 9: webhooks. A 10,000-event backlog delivered to a local HTTP receiver (a child process, as a real
// endpoint is another process), in order, one POST at a time per rule; and the PIN decision p99 while it drains.
// Throughput is timed from the daemon's start (the worker's start included) to the last event received.
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openDatabase } from '../dist/storage/database.js';
import { NotificationRuleRepo } from '../dist/storage/notification-rule-repo.js';
import { decisionLatencies, seedEvents, startDaemon } from './daemon-load.mjs';
import { freePort, ms, rng, scratch, seed, sleep, summary } from './lib.mjs';

const row = (scenario, metric, value, target, ok, note = '') => ({ scenario, metric, value, target, ok, note });

/** A receiver that answers 204 and reports (over IPC) how many distinct events it has, and whether they came in order. */
const RECEIVER = `
const http = require('node:http');
const seen = new Set(); let last = 0; let outOfOrder = 0;
http.createServer((req, res) => {
  const chunks = []; req.on('data', (c) => chunks.push(c));
  req.on('end', () => { const id = JSON.parse(Buffer.concat(chunks)).id; if (!seen.has(id)) { if (id < last) outOfOrder++; last = id; seen.add(id); } res.writeHead(204).end(); });
}).listen(Number(process.argv[1]), '127.0.0.1', () => process.send('ready'));
setInterval(() => process.send({ n: seen.size, outOfOrder }), 20);
`;

export async function scenarioWebhooks({ quick }) {
  const n = quick ? 2_000 : 10_000;
  const people = quick ? 20_000 : 100_000;
  const { dir, remove } = scratch();
  const { pins } = seed(dir, people);
  const port = await freePort();
  const receiver = spawn(process.execPath, ['-e', RECEIVER, String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let got = { n: 0, outOfOrder: 0 };
  await new Promise((r) => receiver.once('message', r));
  receiver.on('message', (m) => typeof m === 'object' && (got = m));
  // The rule first (its cursor starts after the newest event), then the backlog it must deliver.
  const db = openDatabase(dir);
  new NotificationRuleRepo(db).insert(
    {
      name: 'bench',
      active: true,
      call_back_url: `http://127.0.0.1:${port}/hook`,
      event_codes: [24],
      door_ids: [],
      allow_http: false,
      payload: 'event',
    },
    new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  );
  db.close();
  seedEvents(dir, n);
  const t0 = performance.now();
  const daemon = await startDaemon(dir);
  const random = rng(11);
  // Warm-up, as scenario 1 does: the first decisions compile the path (the delivery has begun meanwhile).
  await decisionLatencies(daemon, pins, 100, random);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const lat = [];
  while (got.n < n && performance.now() - t0 < 120_000) lat.push(...(await decisionLatencies(daemon, pins, 20, random, 1)));
  const drainMs = performance.now() - t0;
  h.disable();
  await daemon.stop();
  receiver.kill();
  await sleep(50);
  remove();
  const s = summary(lat);
  const rate = (got.n / drainMs) * 1000;
  return [
    row(
      '9 webhooks',
      `${n.toLocaleString('en')}-event backlog to a local receiver: throughput`,
      `${Math.round(rate)} events/s`,
      'report',
      null,
      `${ms(drainMs)} in all, ${got.n} received, ${got.outOfOrder} out of order`,
    ),
    row(
      '9 webhooks',
      `decision p99 while it drains (${people.toLocaleString('en')} people)`,
      ms(s.p99),
      '< 2 ms',
      s.p99 < 2,
      `${s.n} grants, max ${ms(s.max)}`,
    ),
    row('9 webhooks', 'event-loop delay max while it drains', ms(h.max / 1e6 - 1), 'report', null),
    row('9 webhooks', 'events lost or out of order', String(n - got.n + got.outOfOrder), '0', got.n === n && got.outOfOrder === 0),
  ];
}
