/**
 * Decisions that fail closed on odd data and odd clocks, against real `keypadd run --sim` children and real SQLite
 * files: a clock below its floor, stored times that cannot be read, and a database that fails under a running daemon.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface EventJson {
  event_type: string;
  reason: string | null;
  event_label: string;
  time_trusted: boolean | null;
}
const events = (d: SimDaemon) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '100000').events.reverse();
const dbPath = (d: SimDaemon) => join(d.cli.dataDir, 'keypadd.db');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A visitor with a reservation around now, and their PIN. */
function visitor(d: SimDaemon): string {
  const p = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Val', '--last-name', 'Visitor', '--visitor');
  d.cli.json('reservation', 'add', '--person', String(p.id), '--start', iso(Date.now() - 3_600_000), '--end', iso(Date.now() + 3_600_000));
  return d.cli.json<{ value: string }>('pin', 'add', '--person', String(p.id)).value;
}

describe('decisions that fail closed', () => {
  it('never trusts a clock earlier than the newest stored event, whatever clock.trust says, and raises an alarm', async () => {
    const d = simDoor('clock: { trust: always }\n', cleanups);
    await d.start();
    const staff = d.demoPin();
    const pin = visitor(d);
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    await d.stop('SIGTERM');
    // An event stored while the clock was trusted, two days ahead of this one: now this clock reads two days behind.
    const db = new Database(dbPath(d));
    db.prepare(`INSERT INTO events (event_code, event_type, event_label, created_at, time_trusted) VALUES (10, 'access_granted', 'x', ?, 1)`).run(
      iso(Date.now() + 2 * 86_400_000),
    );
    db.close();
    await d.start();
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked', outcomes: [{ granted: false, reason: 'clock_untrusted' }] });
    // A 24/7 role still works: no time is needed to decide it.
    expect(d.key(`${staff}#`).relay).toBe('unlocked');
    const alarm = await eventually(
      () => events(d),
      (e) => e.some((x) => x.event_type === 'clock_untrusted'),
    );
    expect(alarm.find((x) => x.event_type === 'clock_untrusted')!.event_label).toMatch(/earlier than .* the newest stored event/);
    expect(d.cli.json<{ clock_trusted: boolean; clock_problem: string }>('status')).toMatchObject({
      clock_trusted: false,
      clock_problem: expect.stringMatching(/earlier than/),
    });
  });

  it('denies a person whose stored valid_to cannot be read (invalid_record), and the database refuses to store one', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const p = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Gar', '--last-name', 'Bage', '--valid-to', '2099-01-01T00:00:00Z');
    const pin = d.cli.json<{ value: string }>('pin', 'add', '--person', String(p.id)).value;
    const db = new Database(dbPath(d));
    expect(() => db.prepare(`UPDATE people SET valid_to = 'garbage' WHERE id = ?`).run(p.id)).toThrow(/must be a UTC time/);
    expect(() => db.prepare(`UPDATE people SET valid_to = '2026-02-30T00:00:00Z' WHERE id = ?`).run(p.id)).toThrow(/must be a UTC time/);
    // A database from before the rule (or edited with the triggers dropped) can still hold one: it must deny.
    db.exec(`DROP TRIGGER people_times_update`);
    db.prepare(`UPDATE people SET valid_to = 'garbage' WHERE id = ?`).run(p.id);
    db.close();
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked', outcomes: [{ granted: false, reason: 'invalid_record' }] });
  });

  it('a database damaged under a running daemon: every credential denied (storage_error), counted, shown, evented, unhealthy, one log line', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    const db = new Database(dbPath(d));
    db.pragma('wal_checkpoint(TRUNCATE)');
    const { rootpage } = db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'credentials_value'`).get() as { rootpage: number };
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    // Overwrite the index's root page with garbage, then write through SQLite so the daemon drops its page cache.
    const fd = openSync(dbPath(d), 'r+');
    const page = Buffer.alloc(pageSize);
    readSync(fd, page, 0, pageSize, (rootpage - 1) * pageSize);
    page.fill(0xa5, 0, pageSize);
    writeSync(fd, page, 0, pageSize, (rootpage - 1) * pageSize);
    closeSync(fd);
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('poke', '1')`).run();
    db.close();
    const answer = d.key(`${pin}#${pin}#${pin}#${pin}#`);
    expect(answer).toMatchObject({ relay: 'locked', led: 'locked_out', lockout: { active: true } });
    expect(answer.outcomes!.map((o) => o.reason)).toEqual(['storage_error', 'storage_error', 'storage_error', 'locked_out']);
    // The CLI refuses the damaged file (its integrity check), so the events are read straight from the table.
    const stored = () => {
      const ro = new Database(dbPath(d), { readonly: true });
      const rows = ro.prepare(`SELECT event_type, reason FROM events ORDER BY id`).all() as EventJson[];
      ro.close();
      return rows;
    };
    const e = await eventually(stored, (x) => x.filter((y) => y.event_type === 'access_denied').length >= 4);
    expect(e.map((x) => x.reason ?? x.event_type)).toEqual(['storage_error', 'storage_error', 'keypad_locked_out', 'storage_error', 'locked_out']);
    expect(d.cli.run('event', 'list').stderr).toMatch(/failed its integrity check/);
    expect(d.cli.json<{ storage: { healthy: boolean; problem: string } }>('status').storage).toMatchObject({
      healthy: false,
      problem: expect.stringMatching(/credential lookups fail/),
    });
    await eventually(
      () => d.stderr,
      (x) => /credential lookup failed/.test(x),
    );
    expect(d.stderr.match(/credential lookup failed/g)).toHaveLength(1);
    expect(d.stderr).not.toMatch(/SqliteError.*\n\s+at /);
  });
});
