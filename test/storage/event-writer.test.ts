import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { EventRepo, type EventRow } from '../../src/storage/event-repo.js';
import { newEventId } from '../../src/storage/event-id.js';
import { EventWriter } from '../../src/storage/event-writer.js';
import { LockoutRepo } from '../../src/storage/lockout-repo.js';
import { createLogger } from '../../src/log.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function setup(): { dir: string; writer: EventWriter; logs: string[] } {
  const d = scratchDir();
  cleanups.push(d.remove);
  openDatabase(d.dir).close(); // migrations applied, as the daemon does before starting the writer
  const logs: string[] = [];
  const data = { dataDir: d.dir, spoolDir: join(d.dir, 'spool'), readonly: false, reserveBytes: 0, retention: { days: 90, onlyPublished: false } };
  return { dir: d.dir, writer: new EventWriter(data, createLogger('test', 'debug', (l) => logs.push(l))), logs };
}

const event = (door: number, i: number) => ({
  door_id: door,
  event_code: 24,
  event_type: 'access_denied',
  event_label: `attempt ${i}`,
  reason: 'unknown_credential',
  uid: newEventId(Date.now()),
  created_at: '2026-01-14T10:00:00Z',
});

describe('event writer (worker thread)', () => {
  it('stores events in order with gapless per-door sequence numbers, and reports each when durable', async () => {
    const { dir, writer } = setup();
    const seen: EventRow[] = [];
    writer.onRecorded((r) => seen.push(r));
    // Recorded before the worker is up: kept and sent when it is.
    writer.record(event(1, 0));
    await writer.start();
    for (let i = 1; i < 500; i++) writer.record(event(i % 2 === 0 ? 1 : 2, i));
    await writer.flush();
    expect(writer.backlog).toBe(0);
    expect(seen).toHaveLength(500);
    const door1 = seen.filter((r) => r.door_id === 1).map((r) => r.door_seq);
    expect(door1).toEqual(door1.map((_, i) => i + 1));
    await writer.stop();
    const db = openDatabase(dir);
    expect((db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n).toBe(500);
    db.close();
  });

  it('stores lockout state, last write wins', async () => {
    const { dir, writer } = setup();
    await writer.start();
    const lockout = { level: 1, remainingMs: 30_000, failureAgesMs: [2000, 1000, 0], sinceAlarmAgesMs: [2000, 1000, 0], lockedAgeMs: 0, levelAgeMs: -30_000 };
    writer.saveLockout(1, lockout, '2026-01-14T10:00:00Z');
    writer.saveLockout(1, { ...lockout, remainingMs: 25_000, failureAgesMs: [7000, 6000, 5000, 0] }, '2026-01-14T10:00:05Z');
    expect(await writer.whenStored()).toBe(true);
    await writer.stop();
    const db = openDatabase(dir);
    expect(new LockoutRepo(db).all().get(1)).toMatchObject({ level: 1, remainingMs: 25_000, failureAgesMs: [7000, 6000, 5000, 0], lockedAgeMs: 0 });
    db.close();
  });

  it('does not let one unstorable message hold back the others', async () => {
    const { dir, writer, logs } = setup();
    await writer.start();
    writer.record(event(1, 1));
    writer.saveLockout(1, { level: 1, remainingMs: 1.5, failureAgesMs: [], sinceAlarmAgesMs: [], lockedAgeMs: null, levelAgeMs: 0 }, 'x'); // REAL into an INTEGER column
    writer.record(event(1, 2));
    await writer.flush();
    expect(writer.rejected).toBe(1);
    expect(logs.join('\n')).toMatch(/could not store lockout/);
    await writer.stop();
    const db = openDatabase(dir);
    expect(new EventRepo(db).list({ limit: 10 }).map((e) => e.event_label)).toEqual(['attempt 2', 'attempt 1']);
    db.close();
  });

  it('stores an event re-sent with the same uid only once', () => {
    const d = scratchDir();
    cleanups.push(d.remove);
    const db = openDatabase(d.dir);
    const e = event(1, 1);
    const a = new EventRepo(db).append(e);
    const b = new EventRepo(db).append(e);
    expect(b).toEqual(a);
    expect(new EventRepo(db).list({ limit: 10 })).toHaveLength(1);
    db.close();
  });

  it('makes ids that sort in the order events happened, even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newEventId(1_700_000_000_000 + Math.floor(i / 100)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(ids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
