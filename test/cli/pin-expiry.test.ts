/**
 * Issue 20: pin_expiring against `keypadd run --sim`: a PIN whose created time is set back in the real database into
 * the warning window gets one event at start, none again after a restart, and a reset PIN (a new credential) warns
 * again. PINs outside the window (younger, or already expired) get none.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface EventJson {
  event_type: string;
  event_code: number;
  person_id: number | null;
  credential_id: string | null;
  detail: string | Record<string, unknown> | null;
}
const expiring = (d: SimDaemon) =>
  d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '1000').events.filter((e) => e.event_type === 'pin_expiring');
const detailOf = (e: EventJson) => (typeof e.detail === 'string' ? (JSON.parse(e.detail) as Record<string, unknown>) : e.detail);

function pinFor(d: SimDaemon, first: string, value: string): { person: number; id: string } {
  const person = d.cli.json<{ id: number }>('person', 'add', '--first-name', first, '--last-name', 'Test').id;
  return { person, id: d.cli.json<{ id: string }>('pin', 'add', '--person', String(person), '--value', value).id };
}
function age(d: SimDaemon, id: string, createdMs: number): void {
  const db = new Database(join(d.cli.dataDir, 'keypadd.db'));
  db.prepare(`UPDATE credentials SET created_at = ? WHERE id = ?`).run(iso(createdMs), id);
  db.close();
}

const CONFIG = `doors:
  - { id: 1, name: Front Door, max_pin_age_days: 30, pin_expiry_warning_days: 7 }
  - { id: 2, name: Back Door, max_pin_age_days: 30, pin_expiry_warning_days: 7 }
  - { id: 3, name: Store, max_pin_age_days: 90 }
`;

describe('pin_expiring (max_pin_age_days, pin_expiry_warning_days)', () => {
  it('one event for a PIN inside the warning window, none after a restart; a reset PIN warns again', async () => {
    const d = simDoor(CONFIG, cleanups);
    await d.start();
    const soon = pinFor(d, 'Soon', '482913'); // 25 days old: expires in 5 days at doors 1 and 2
    const young = pinFor(d, 'Young', '593024'); // 10 days old: not yet in the window
    const gone = pinFor(d, 'Gone', '604135'); // 31 days old at doors 1-2 (expired there), 84 days at door 3: due there
    await d.stop('SIGTERM');
    const created = Date.now() - 25 * DAY;
    age(d, soon.id, created);
    age(d, young.id, Date.now() - 10 * DAY);
    age(d, gone.id, Date.now() - 84 * DAY);

    await d.start();
    const first = await eventually(
      () => expiring(d),
      (e) => e.length === 2,
    );
    const soonEvent = first.find((e) => e.credential_id === soon.id)!;
    expect(soonEvent).toMatchObject({ event_code: 86, person_id: soon.person });
    expect(detailOf(soonEvent)).toEqual({
      credential_id: soon.id,
      person_id: soon.person,
      expires_at: iso(Math.floor(created / 1000) * 1000 + 30 * DAY),
      door_ids: [1, 2],
    });
    const goneEvent = first.find((e) => e.credential_id === gone.id)!;
    expect(detailOf(goneEvent)).toMatchObject({ door_ids: [3] });
    // The young PIN, and the demo person's new one, are not due.
    expect(first.map((e) => e.credential_id)).not.toContain(young.id);
    // Not an alarm: no warning line in the log.
    expect(d.stderr).not.toMatch(/warn \S+: event #\d+ .*pin_expiring/);

    await d.stop('SIGTERM');
    await d.start();
    await sleep(1500); // the start's check has run (and would have recorded by now)
    expect(expiring(d)).toHaveLength(2);

    // A PIN reset: delete it and make a new one, which (set back into the window too) is warned about again.
    d.cli.json('credential', 'delete', soon.id);
    const again = d.cli.json<{ id: string }>('pin', 'add', '--person', String(soon.person), '--value', '715246').id;
    await d.stop('SIGTERM');
    age(d, again, created);
    await d.start();
    const after = await eventually(
      () => expiring(d),
      (e) => e.some((x) => x.credential_id === again),
    );
    expect(after.filter((e) => e.credential_id === again)).toHaveLength(1);
    const all = JSON.stringify(after) + d.stderr;
    for (const p of ['482913', '593024', '604135', '715246']) expect(all).not.toContain(p);
  }, 90_000);

  it('refuses a pin_expiry_warning_days out of bounds, naming the field', () => {
    const d = simDoor('doors: [{ id: 1, name: Front Door, max_pin_age_days: 30, pin_expiry_warning_days: 0 }]\n', cleanups);
    const r = d.cli.run('config', 'check');
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('pin_expiry_warning_days');
  });
});
