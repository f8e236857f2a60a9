import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { EventRepo, type EventRow } from '../../src/storage/event-repo.js';
import { newEventId } from '../../src/storage/event-id.js';
import { EventWriter } from '../../src/storage/event-writer.js';
import type { WriterData } from '../../src/storage/event-writer-protocol.js';
import { MQTT_OUTBOX, OutboxRepo } from '../../src/storage/outbox-repo.js';
import { LockoutRepo } from '../../src/storage/lockout-repo.js';
import { createLogger } from '../../src/log.js';
import { eventually } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function setup(retention: WriterData['retention'] | null = null): { dir: string; writer: EventWriter; logs: string[] } {
  const d = scratchDir();
  cleanups.push(d.remove);
  openDatabase(d.dir).close(); // migrations applied, as the daemon does before starting the writer
  const logs: string[] = [];
  const data = {
    dataDir: d.dir,
    spoolDir: join(d.dir, 'spool'),
    readonly: false,
    reserveBytes: 0,
    retention: retention ?? { days: 90, outboxes: [] },
  };
  return {
    dir: d.dir,
    writer: new EventWriter(
      data,
      createLogger('test', 'debug', (l) => logs.push(l)),
    ),
    logs,
  };
}

const storedLabels = (dir: string): string[] => {
  const db = openDatabase(dir);
  try {
    return (db.prepare('SELECT event_label FROM events ORDER BY id').all() as { event_label: string }[]).map((r) => r.event_label);
  } finally {
    db.close();
  }
};

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
    const lockout = {
      level: 1,
      remainingMs: 30_000,
      failureAgesMs: [2000, 1000, 0],
      sinceAlarmAgesMs: [2000, 1000, 0],
      lockedAgeMs: 0,
      levelAgeMs: -30_000,
    };
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

  it('re-sends the events a dead worker had not stored when it is restarted, storing each once', async () => {
    const { dir, writer, logs } = setup();
    await writer.start();
    for (let i = 0; i < 100; i++) writer.record(event(1, i));
    // The worker dies with those in flight: some committed and acknowledged, some committed but not acknowledged,
    // some not committed. (Its handle is private: a test's way of killing the thread.)
    await (writer as unknown as { worker: { thread: Worker } }).worker.thread.terminate();
    // These reach no worker at all: only the re-send after the restart can store them.
    for (let i = 100; i < 200; i++) writer.record(event(1, i));
    expect(writer.backlog).toBeGreaterThanOrEqual(100);
    await eventually(
      () => writer.backlog,
      (n) => n === 0,
      10_000,
    );
    expect(logs.join('\n')).toMatch(/event writer exited \(1\); restarting it in 0.5 s, with \d+ events still to store/);
    await writer.stop();
    expect(storedLabels(dir)).toEqual(Array.from({ length: 200 }, (_, i) => `attempt ${i}`));
    const db = openDatabase(dir);
    const seqs = (db.prepare('SELECT door_seq FROM events ORDER BY id').all() as { door_seq: number }[]).map((r) => r.door_seq);
    db.close();
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });
});

describe('event retention', () => {
  /** 2,500 events from 100 days ago, then 10 from now; MQTT has published through id 1,200. */
  function seed(dir: string): void {
    const db = openDatabase(dir);
    const repo = new EventRepo(db);
    const old = new Date(Date.now() - 100 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    db.transaction(() => {
      for (let i = 0; i < 2500; i++) repo.append({ ...event(1, i), created_at: old });
      for (let i = 2500; i < 2510; i++) repo.append({ ...event(1, i), created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    })();
    new OutboxRepo(db, MQTT_OUTBOX).setCursor(1200);
    db.close();
  }

  it('prunes events past retention_days, at most 5% a run: with MQTT on only published ones, with MQTT off every old one', async () => {
    const on = setup({ days: 90, outboxes: [MQTT_OUTBOX] });
    const off = setup({ days: 90, outboxes: [] });
    seed(on.dir);
    seed(off.dir);
    await Promise.all([on.writer.start(), off.writer.start()]);
    const limited = new Map<EventWriter, number[]>();
    for (const w of [on, off]) w.writer.pruneLimited = (due) => limited.set(w.writer, [...(limited.get(w.writer) ?? []), due]);
    // The daemon asks for a run hourly, with a trusted clock; each may take 5% of the events (here 125 of 2,510).
    const runs = (logs: string[]) => logs.filter((l) => l.includes('past the retention period')).map((l) => Number(/pruned (\d+)/.exec(l)![1]));
    const total = (logs: string[]) => runs(logs).reduce((a, b) => a + b, 0);
    for (let i = 0; i < 200 && (total(on.logs) < 1200 || total(off.logs) < 2500); i++) {
      on.writer.prune(Date.now());
      off.writer.prune(Date.now());
      await Promise.all([on.writer.flush(), off.writer.flush()]);
    }
    expect([total(on.logs), total(off.logs)]).toEqual([1200, 2500]);
    for (const r of [...runs(on.logs), ...runs(off.logs)]) expect(r).toBeLessThanOrEqual(125);
    // More was due than one run may take: the daemon raises events_prune_limited.
    expect([limited.get(on.writer)?.[0], limited.get(off.writer)?.[0]]).toEqual([1200, 2500]);
    await Promise.all([on.writer.stop(), off.writer.stop()]);
    const attempts = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `attempt ${from + i}`);
    // Unpublished events (ids above 1,200) are never pruned, however old; recent ones stay either way.
    expect(storedLabels(on.dir)).toEqual(attempts(1200, 2510));
    expect(storedLabels(off.dir)).toEqual(attempts(2500, 2510));
  }, 40_000);
});
