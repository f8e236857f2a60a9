/**
 * The OutboxDrain contract (as MQTT.js tests each IStore with one abstract suite): every consumer of the event table
 * (MQTT now, webhooks next) gets events in id order, moves its cursor only over contiguous acknowledged events,
 * starts again from the cursor after a reset, ignores late answers of an old generation, and keeps its own cursor.
 * Retention pruning keeps what the slowest drain still needs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { newEventId } from '../../src/storage/event-id.js';
import { EventRepo } from '../../src/storage/event-repo.js';
import { OutboxDrain } from '../../src/storage/outbox-drain.js';
import { pruneEvents } from '../../src/storage/prune.js';
import { NotificationRuleRepo, WEBHOOK_OUTBOX_PREFIX, webhookOutbox } from '../../src/storage/notification-rule-repo.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function db(events: number, createdAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')): Db {
  const d = scratchDir();
  const db = openDatabase(d.dir);
  cleanups.push(() => {
    db.close();
    d.remove();
  });
  const repo = new EventRepo(db);
  for (let i = 0; i < events; i++) {
    repo.append({
      door_id: 1,
      event_code: 30,
      event_type: 'rex',
      event_label: `e${i}`,
      time_trusted: true,
      uid: newEventId(Date.now()),
      created_at: createdAt,
    });
  }
  return db;
}

describe('OutboxDrain', () => {
  it('hands out events in id order, up to its window, each once per generation', () => {
    const drain = new OutboxDrain(db(10), 'test', 4);
    const first = drain.next();
    expect(first.map((s) => s.row.id)).toEqual([1, 2, 3, 4]);
    expect(drain.next()).toEqual([]); // the window is full
    expect(drain.inflight).toBe(4);
    drain.ack(1, first[0]!.generation);
    expect(drain.next().map((s) => s.row.id)).toEqual([5]);
  });

  it('moves the cursor only over a contiguous run of acknowledged events', () => {
    const drain = new OutboxDrain(db(5), 'test', 10);
    const sent = drain.next();
    const gen = sent[0]!.generation;
    expect(drain.ack(2, gen)).toBe(false);
    expect(drain.ack(3, gen)).toBe(false);
    expect(drain.cursor).toBe(0);
    expect(drain.ack(1, gen)).toBe(true);
    expect(drain.cursor).toBe(3);
    drain.fail(4, gen); // refused: it stays after the cursor
    expect(drain.ack(5, gen)).toBe(false);
    expect(drain.cursor).toBe(3);
    expect(drain.backlog()).toBe(2);
  });

  it('after a reset sends again from the cursor, and ignores late answers of the old generation', () => {
    const drain = new OutboxDrain(db(5), 'test', 10);
    const old = drain.next();
    drain.ack(1, old[0]!.generation);
    drain.reset();
    expect(drain.inflight).toBe(0);
    expect(drain.ack(2, old[0]!.generation)).toBe(false); // a callback of the dropped connection
    const again = drain.next();
    expect(again.map((s) => s.row.id)).toEqual([2, 3, 4, 5]);
    expect(again[0]!.generation).toBe(old[0]!.generation + 1);
    expect(drain.cursor).toBe(1);
  });

  it('keeps its cursor under its own key across instances (a restart), apart from another drain', () => {
    const database = db(6);
    const a = new OutboxDrain(database, 'a', 10);
    for (const s of a.next().slice(0, 4)) a.ack(s.row.id, s.generation);
    a.save();
    const b = new OutboxDrain(database, 'b', 10);
    expect(b.cursor).toBe(0);
    expect(new OutboxDrain(database, 'a', 10).cursor).toBe(4);
    expect(new OutboxDrain(database, 'a', 10).next().map((s) => s.row.id)).toEqual([5, 6]);
  });

  it('lets retention prune only what every listed drain has delivered', () => {
    const database = db(100, new Date(Date.now() - 100 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    new EventRepo(database).append({
      door_id: 1,
      event_code: 30,
      event_type: 'rex',
      event_label: 'now',
      time_trusted: true,
      uid: newEventId(Date.now()),
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    for (const [key, through] of [
      ['fast', 80],
      ['slow', 30],
    ] as const) {
      const d = new OutboxDrain(database, key, 200);
      for (const s of d.next()) if (s.row.id <= through) d.ack(s.row.id, s.generation);
      d.save();
    }
    let pruned = 0;
    for (let i = 0; i < 100; i++) pruned += pruneEvents(database, { nowMs: Date.now(), days: 90, outboxes: ['fast', 'slow'] }).count;
    expect(pruned).toBe(30);
    expect((database.prepare('SELECT min(id) AS id FROM events').get() as { id: number }).id).toBe(31);
  });

  it('keeps every event an active webhook rule has not delivered; a deleted or inactive rule holds nothing back', () => {
    const old = new Date(Date.now() - 100 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const database = db(100, old);
    new EventRepo(database).append({
      door_id: 1,
      event_code: 30,
      event_type: 'rex',
      event_label: 'now',
      time_trusted: true,
      uid: newEventId(Date.now()),
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    const rules = new NotificationRuleRepo(database);
    const input = {
      name: 'r',
      active: true,
      call_back_url: 'https://example.com/h',
      event_codes: [30],
      door_ids: [],
      allow_http: false,
      payload: 'event' as const,
    };
    const slow = rules.insert(input, old).row;
    const gone = rules.insert(input, old).row;
    const off = rules.insert(input, old).row;
    for (const [rule, through] of [
      [slow, 40],
      [gone, 10],
      [off, 5],
    ] as const) {
      // Rules start after the newest event: move the cursors back as if they had been made before these events.
      database.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(through), webhookOutbox(rule.id));
      expect(new OutboxDrain(database, webhookOutbox(rule.id), 200).cursor).toBe(through);
    }
    rules.delete(gone.id);
    rules.update(off.id, { ...input, active: false }, old);
    const prune = () => pruneEvents(database, { nowMs: Date.now(), days: 90, outboxes: [], outboxPrefixes: [WEBHOOK_OUTBOX_PREFIX] }).count;
    let pruned = 0;
    for (let i = 0; i < 100; i++) pruned += prune();
    expect(pruned).toBe(40);
    // Without the prefix (the old code), the webhook's undelivered events would go too.
    expect(pruneEvents(database, { nowMs: Date.now(), days: 90, outboxes: [] }).count).toBeGreaterThan(0);
  });
});
