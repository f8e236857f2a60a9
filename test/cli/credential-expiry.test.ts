/**
 * Issue 20: `credential expire-unused --days N` against a real data dir beside `keypadd run --sim`: "last used" is the
 * newest grant in the event table, ages are set back in the real SQLite file, and the door then refuses what it disabled.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UNUSED_SINCE_SQL } from '../../src/storage/credential-repo.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface EventJson {
  event_type: string;
  event_code: number;
  door_id: number | null;
  person_id: number | null;
  credential_id: string | null;
  detail: string | Record<string, unknown> | null;
}
const events = (d: SimDaemon) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '1000').events;
const detailOf = (e: EventJson) => (typeof e.detail === 'string' ? (JSON.parse(e.detail) as Record<string, unknown>) : e.detail);
interface Listed {
  credentials: { credential_id: string; person_id: number; kind: string; last_used: string | null }[];
  count: number;
  dry_run: boolean;
}

function person(d: SimDaemon, first: string): number {
  return d.cli.json<{ id: number }>('person', 'add', '--first-name', first, '--last-name', 'Test').id;
}
const pin = (d: SimDaemon, p: number, value: string) => d.cli.json<{ id: string }>('pin', 'add', '--person', String(p), '--value', value).id;
const card = (d: SimDaemon, p: number, n: string) => d.cli.json<{ id: string }>('card', 'add', '--person', String(p), '--number', n).id;
const enabled = (d: SimDaemon) =>
  Object.fromEntries(d.cli.json<{ id: string; enabled: boolean }[]>('credential', 'list').map((c) => [c.id, c.enabled]));

describe('credential expire-unused --days N', () => {
  it('disables what has had no grant in N days (never used: made before), one credential_expired event each; --dry-run changes nothing', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const never = pin(d, person(d, 'Never'), '402871'); // made 40 days ago, never used
    const longAgo = pin(d, person(d, 'Long'), '593016'); // made 40 days ago, last granted 35 days ago
    const today = pin(d, person(d, 'Today'), '710462'); // made 40 days ago, granted just now
    const freshCard = card(d, person(d, 'Fresh'), '1234567'); // made 5 days ago, never used
    const oldCard = card(d, person(d, 'Stale'), '7654321'); // made 40 days ago, never used
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'));
    cleanups.unshift(() => db.close());
    const age = db.prepare(`UPDATE credentials SET created_at = ? WHERE id = ?`);
    for (const id of [never, longAgo, today, oldCard]) age.run(iso(Date.now() - 40 * DAY), id);
    age.run(iso(Date.now() - 5 * DAY), freshCard);
    db.prepare(
      `INSERT INTO events (event_code, event_type, event_label, door_id, person_id, credential_id, credential_type, created_at)
       VALUES (12, 'access_granted', 'old grant', 1, ?, ?, 'PIN', ?)`,
    ).run(2, longAgo, iso(Date.now() - 35 * DAY));
    expect(d.key('710462#').outcomes).toEqual([expect.objectContaining({ granted: true })]);
    await eventually(
      () => events(d).filter((e) => e.event_type === 'access_granted' && e.credential_id === today),
      (e) => e.length === 1,
    );

    const dry = d.cli.json<Listed>('credential', 'expire-unused', '--days', '30', '--dry-run');
    expect(dry.dry_run).toBe(true);
    expect(dry.count).toBe(3);
    const byId = Object.fromEntries(dry.credentials.map((c) => [c.credential_id, c]));
    expect(Object.keys(byId).sort()).toEqual([never, longAgo, oldCard].sort());
    expect(byId[never]).toMatchObject({ kind: 'PIN', last_used: null });
    expect(byId[longAgo]).toMatchObject({ kind: 'PIN' });
    expect(Date.parse(byId[longAgo]!.last_used!)).toBeLessThan(Date.now() - 34 * DAY);
    expect(byId[oldCard]).toMatchObject({ kind: 'Card', last_used: null });
    expect(Object.values(enabled(d)).every(Boolean)).toBe(true);
    expect(events(d).filter((e) => e.event_type === 'credential_expired')).toEqual([]);
    // The table and the count, for a person reading it.
    const text = d.cli.run('credential', 'expire-unused', '--days', '30', '--dry-run');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('LAST USED');
    expect(text.stdout).toContain('3 credentials would be disabled (dry run: nothing changed)');
    expect(text.stdout).toContain('never');

    const done = d.cli.json<Listed>('credential', 'expire-unused', '--days', '30');
    expect(done).toMatchObject({ dry_run: false, count: 3 });
    expect(enabled(d)).toMatchObject({ [never]: false, [longAgo]: false, [oldCard]: false, [today]: true, [freshCard]: true });
    const expired = events(d).filter((e) => e.event_type === 'credential_expired');
    expect(expired).toHaveLength(3);
    for (const e of expired) {
      expect(e).toMatchObject({ event_code: 85 });
      const c = byId[e.credential_id!]!;
      expect(detailOf(e)).toEqual({ credential_id: c.credential_id, person_id: c.person_id, kind: c.kind, last_used: c.last_used });
    }
    // The door refuses a disabled PIN; the one used today still opens.
    expect(d.key('402871#').outcomes).toEqual([expect.objectContaining({ granted: false })]);
    expect(d.key('710462#').outcomes).toEqual([expect.objectContaining({ granted: true })]);
    // Run again: nothing left to disable, and no second event.
    expect(d.cli.json<Listed>('credential', 'expire-unused', '--days', '30').count).toBe(0);
    expect(events(d).filter((e) => e.event_type === 'credential_expired')).toHaveLength(3);
    const all = JSON.stringify(events(d)) + d.stderr + text.stdout;
    for (const p of ['402871', '593016', '710462']) expect(all).not.toContain(p);
  }, 90_000);

  it('refuses --days beyond events.retention_days (older grants are pruned) and a bad --days, naming it (exit 2)', () => {
    const d = simDoor('events: { retention_days: 30 }\n', cleanups);
    const beyond = d.cli.run('credential', 'expire-unused', '--days', '31');
    expect(beyond.status).toBe(2);
    expect(beyond.stderr).toContain('days');
    expect(beyond.stderr).toContain('retention_days');
    const zero = d.cli.run('credential', 'expire-unused', '--days', '0');
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('--days');
  });

  it('finds the last grant through the events_credential_grants index (EXPLAIN QUERY PLAN), not a scan of the events', () => {
    const d = simDoor('', cleanups);
    d.cli.json('person', 'list'); // opens (and migrates) the database
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'), { readonly: true });
    cleanups.unshift(() => db.close());
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${UNUSED_SINCE_SQL}`).all('2026-01-01T00:00:00Z') as { detail: string }[]).map((r) => r.detail);
    expect(plan.some((p) => /SEARCH e USING (COVERING )?INDEX events_credential_grants/.test(p))).toBe(true);
    expect(plan.some((p) => /SCAN e\b/.test(p))).toBe(false);
  });
});
