/**
 * Another connection holding the database's write lock, as a sync's apply does for 21-22 s on a first pull of a
 * million people: the events go to the spool and in afterwards, none lost; storage is "busy", not failing, until the
 * lock has been held for `busyAlarmMs` (KEYPADD_TEST_STORAGE_BUSY_ALARM_MS here), and then it is failing, with the
 * events_spooled alarm. A real `keypadd run --sim` child; the lock is held by this process on the same file.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Storage {
  healthy: boolean;
  problem: string | null;
  busy_since: string | null;
  spooled: number;
}
const storage = (d: SimDaemon) => d.cli.json<{ storage: Storage }>('status').storage;
const events = (d: SimDaemon) => d.cli.json<{ events: { event_type: string; reason: string | null }[] }>('event', 'list', '--limit', '100').events;

/** Holds the write lock from this process (BEGIN IMMEDIATE and a write), for as long as the test awaits. */
function holdWriteLock(d: SimDaemon): () => void {
  const db = new Database(join(d.cli.dataDir, 'keypadd.db'), { timeout: 5000 });
  db.exec('BEGIN IMMEDIATE');
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('test_lock', '1')`).run();
  const release = () => {
    if (!db.open) return;
    db.exec('COMMIT');
    db.close();
  };
  cleanups.push(release);
  return release;
}

async function start(alarmMs: number): Promise<SimDaemon> {
  const d = simDoor('', cleanups as (() => void)[]);
  d.cli.extraEnv = { KEYPADD_TEST_STORAGE_BUSY_ALARM_MS: String(alarmMs) };
  await d.start();
  return d;
}

describe('a write lock held by another connection', () => {
  it('is "busy", not a failure: the refused PIN is spooled and stored once the lock goes, with no alarm', async () => {
    const d = await start(60_000);
    const release = holdWriteLock(d);
    expect((await d.cli.runAsync('sim', 'key', '--door', '1', '99999#')).status).toBe(0);
    // The writer waits 2 s for the lock, then spools.
    const busy = await eventually(
      () => storage(d),
      (s) => s.busy_since !== null,
      10_000,
    );
    expect(busy).toMatchObject({ healthy: true, problem: null, spooled: 1 });
    expect(d.cli.run('status').stdout).toMatch(/storage: healthy, busy since .* \(another connection holds the write lock; 1 events in the spool\)/);
    release();
    await eventually(
      () => storage(d),
      (s) => s.busy_since === null,
      10_000,
    );
    const types = events(d).map((e) => e.event_type);
    expect(types).toContain('access_denied');
    expect(types).not.toContain('events_spooled');
    expect(d.stderr).not.toMatch(/storing events failed/);
  });

  it('a stop while the lock is held stores the spool once the lock goes, rather than leave it to a reboot', async () => {
    const d = await start(60_000);
    const release = holdWriteLock(d);
    expect((await d.cli.runAsync('sim', 'key', '--door', '1', '99999#')).status).toBe(0);
    await eventually(
      () => storage(d),
      (s) => s.spooled === 1,
      10_000,
    );
    // Released 2.5 s into the stop: later than any try the writer had begun before it (each waits at most 2 s for the
    // lock), within the 3.5 s the stop gives it.
    const stopped = d.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 2500));
    release();
    expect(await stopped).toBe(0);
    // Read without starting keypadd again: the spool was stored by the stop itself.
    expect(events(d).map((e) => e.event_type)).toContain('access_denied');
    expect(d.stderr).not.toMatch(/spooled to/);
  });

  it('is a failure once held past busyAlarmMs: FAILING in status and the events_spooled alarm, and still nothing lost', async () => {
    const d = await start(1500);
    const release = holdWriteLock(d);
    expect((await d.cli.runAsync('sim', 'key', '--door', '1', '99999#')).status).toBe(0);
    const failing = await eventually(
      () => storage(d),
      (s) => !s.healthy,
      15_000,
    );
    expect(failing.problem).toMatch(/the database refuses writes \(database is locked\)/);
    expect(failing.busy_since).toBeNull();
    release();
    await eventually(
      () => storage(d),
      (s) => s.healthy,
      15_000,
    );
    const types = events(d).map((e) => e.event_type);
    expect(types).toContain('access_denied');
    expect(types).toContain('events_spooled');
  });
});
