/**
 * Clock jumps for real (libfaketime shifts the daemon's wall clock, not its monotonic one) against retention pruning,
 * and a stop under overload: nothing is pruned by a clock that is wrong, and nothing pending is dropped at stop.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv } from '../helpers/cli.js';
import { eventually, SimDaemon, simDoor } from '../helpers/daemon.js';
import { checkDatabase, faketimeLibrary } from '../helpers/faults.js';

const FAKETIME = faketimeLibrary('storage faults');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const wrong = (n: number, from: number) => Array.from({ length: n }, (_, i) => `${String(1_000_000 + from + i)}#`).join('');
const count = (d: SimDaemon) => checkDatabase(d.cli.dataDir).length;
/** The daemon's next start with its wall clock moved (`spec` as FAKETIME takes it), pruning every 300 ms. */
function withClock(d: SimDaemon, spec: string | null): void {
  d.cli.extraEnv = { KEYPADD_TEST_PRUNE_MS: '300', ...(spec ? { LD_PRELOAD: FAKETIME!, FAKETIME: spec, FAKETIME_DONT_FAKE_MONOTONIC: '1' } : {}) };
}
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('retention with an untrusted clock', () => {
  it('prunes nothing while the clock is untrusted, even events past the retention, and prunes once it is trusted', async () => {
    const d = simDoor('clock: { trust: timesyncd, timesync_flag: /nonexistent }\n', cleanups);
    await d.start();
    await d.stop('SIGTERM');
    // 200 events from 100 days ago and one from now, all stamped by a trusted clock.
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'));
    const insert = db.prepare(
      `INSERT INTO events (event_code, event_type, event_label, created_at, time_trusted) VALUES (24, 'access_denied', 'old', ?, 1)`,
    );
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    db.transaction(() => {
      for (let i = 0; i < 200; i++) insert.run(iso(Date.now() - 100 * 86_400_000));
      insert.run(iso(Date.now()));
    })();
    db.close();
    withClock(d, null);
    await d.start();
    await wait(1500); // five prune periods, with the clock untrusted
    await d.stop('SIGTERM');
    expect(count(d)).toBe(201);
    writeFileSync(d.cli.configFile, 'clock: { trust: always }\n');
    await d.start();
    await eventually(
      () => count(d),
      (n) => n < 201,
    );
    await d.stop('SIGTERM');
  });
});

describe.skipIf(FAKETIME === null)('clock jumps and retention', () => {
  it('an untrusted clock a year ahead prunes nothing', async () => {
    const d = simDoor('clock: { trust: timesyncd, timesync_flag: /nonexistent }\n', cleanups);
    await d.start();
    d.key(wrong(39, 0));
    await d.stop('SIGTERM');
    const stored = count(d);
    withClock(d, '+365d');
    await d.start();
    await wait(1500); // five prune periods
    await d.stop('SIGTERM');
    expect(count(d)).toBe(stored);
  });

  it('a trusted clock that jumps a year ahead prunes at most 5% an hour, and raises events_prune_limited', async () => {
    const d = simDoor('clock: { trust: always }\n', cleanups);
    await d.start();
    d.key(wrong(99, 0));
    await d.stop('SIGTERM');
    const stored = count(d);
    withClock(d, '+365d');
    await d.start();
    d.key(wrong(1, 500)); // an event at the jumped time: the newest trusted event moves a year ahead
    const alarm = await eventually(
      () => checkDatabase(d.cli.dataDir),
      (e) => e.some((x) => x.event_type === 'events_prune_limited'),
    );
    await d.stop('SIGTERM');
    // Each run may take 5% of what is stored; the runs went every 300 ms here, every hour in production.
    expect(alarm.length).toBeGreaterThan(stored * 0.5);
    expect(alarm.find((x) => x.event_type === 'events_prune_limited')).toBeTruthy();
  });

  it('events stored while the clock said 1970 are not pruned at the next start', async () => {
    const d = simDoor('clock: { trust: always }\nevents: { retention_days: 1 }\n', cleanups);
    withClock(d, '@1970-01-01 00:00:00');
    await d.start();
    d.key(wrong(20, 0));
    await d.stop('SIGTERM');
    const old = checkDatabase(d.cli.dataDir).filter((e) => e.created_at.startsWith('1970'));
    expect(old.length).toBeGreaterThanOrEqual(20); // the 20 wrong PINs, the lockout and its alarms
    withClock(d, null);
    await d.start();
    await wait(1500);
    await d.stop('SIGTERM');
    expect(checkDatabase(d.cli.dataDir).filter((e) => e.created_at.startsWith('1970'))).toEqual(old);
  });
});

describe('a stop under overload', () => {
  it('spools what it cannot store within its budget, says how many went where, and stores it at the next start', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    // The write lock held elsewhere: the writer cannot commit, and a flood of wrong PINs piles up.
    const lock = new Database(join(d.cli.dataDir, 'keypadd.db'));
    lock.exec('BEGIN IMMEDIATE');
    cleanups.push(() => {
      if (lock.open) lock.close();
    });
    // Two requests of 5,000 (one would not fit an argument list); they wait for the storing that cannot happen.
    const flood = Promise.all(
      [0, 1].map(
        (i) =>
          new Promise<void>((resolve) =>
            execFile(
              process.execPath,
              [BIN, '--data-dir', d.cli.dataDir, 'sim', 'key', wrong(5000, i * 5000)],
              { env: cleanEnv({ KEYPADD_CONFIG: d.cli.configFile }), maxBuffer: 1 << 26 },
              () => resolve(),
            ),
          ),
      ),
    );
    // Every key typed (the events wait in the daemon's memory for the writer), then the stop.
    await eventually(
      () => d.cli.json<{ event_backlog: number }>('status').event_backlog,
      (n) => n >= 10_000,
      30_000,
    );
    const code = await d.stop('SIGTERM');
    expect(code).toBe(0);
    lock.exec('COMMIT');
    lock.close();
    await flood;
    expect(d.stderr).toMatch(/stopping: \d+ events stored, \d+ spooled to /);
    await d.start();
    const stored = await eventually(
      () => checkDatabase(d.cli.dataDir).filter((e) => e.event_type === 'access_denied').length,
      (n) => n === 10_000,
      30_000,
    );
    expect(stored).toBe(10_000);
    await d.stop('SIGTERM');
    checkDatabase(d.cli.dataDir);
  }, 90_000);
});
