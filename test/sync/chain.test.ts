/**
 * Two real daemons: keypadd A serves its API, keypadd B syncs from it. A PIN made on A opens B's simulated door
 * after B's next pull; deleted on A, it stops there after the next pull; with A stopped, B keeps admitting A's
 * people from its cache. Pulls are asked for with `keypadd sync run` on B, which goes through B's sync worker.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/broker.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let a: SimDaemon;
let b: SimDaemon;
let bApi: string;

interface EventJson {
  event_type: string;
  event_label: string;
}

beforeAll(async () => {
  const port = await freePort();
  const bPort = await freePort();
  bApi = `http://127.0.0.1:${bPort}`;
  // The upstream keypadd keeps PINs in plaintext, so it can list them to its downstream controllers (as DoorFlow does).
  a = simDoor(`api: { enabled: true, listen: 127.0.0.1:${port} }\npin_policy: { storage: plaintext }\n`, cleanups);
  await a.start();
  await eventually(
    () => a.stderr,
    (s) => s.includes('API listening'),
    20_000,
  );
  const token = a.cli.json<{ token: string }>(
    'token',
    'add',
    '--name',
    'door-b',
    '--scope',
    'account.person.readonly',
    '--scope',
    'account.reservation.readonly',
  ).token;
  // B: role 1 on A ("Everyone") gives access to B's door 1.
  b = simDoor('', cleanups);
  const tokenFile = join(b.cli.dataDir, 'upstream-token');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  writeFileSync(
    b.cli.configFile,
    // Wrong PINs are part of the test: no keypad lockout in the way.
    `sync: { url: "http://127.0.0.1:${port}", token_file: ${tokenFile}, interval_s: 3600, doors: [{ door: 1, role_ids: [1] }] }\nlockout: { attempts: 100 }\n` +
      `api: { enabled: true, listen: 127.0.0.1:${bPort} }\n` +
      `doors: [{ id: 1, name: Front Door, unlock_ms: 200 }]\n`,
  );
  b.cli.extraEnv = { KEYPADD_TEST_SYNC_RETRY_MS: '20' };
  await b.start();
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const unlocks = (d: SimDaemon) => d.status().unlock_count;

/** Whether the PIN opens the door: the decision is made before `sim key` answers, so its status shows it. */
async function opens(d: SimDaemon, pin: string): Promise<boolean> {
  // From a locked door (a grant while unlocked only extends the unlock).
  await eventually(
    () => d.status().relay,
    (r) => r === 'locked',
    3000,
  );
  const before = unlocks(d);
  return d.key(`${pin}#`).unlock_count > before;
}

describe('keypadd A (API) → keypadd B (sync)', () => {
  let janePin: string;
  let bobPin: string;
  let janeCred: string;

  it('B pulls A in full as it starts', async () => {
    const s = await eventually(
      () => b.cli.json<{ status: string; last_mode: string | null }>('sync', 'status'),
      (x) => x.status === 'complete',
      10_000,
    );
    // A's demo person.
    expect(s).toMatchObject({ status: 'complete', last_mode: 'full', last_counts: { people: { added: 1 } } });
  });

  it('a PIN created on A opens B after B pulls', async () => {
    const jane = a.cli.json<{ id: number }>('person', 'add', '--first-name', 'Jane', '--last-name', 'Upstream');
    const made = a.cli.json<{ id: string; value: string }>('pin', 'add', '--person', String(jane.id));
    janePin = made.value;
    janeCred = made.id;
    const bob = a.cli.json<{ id: number }>('person', 'add', '--first-name', 'Bob', '--last-name', 'Upstream');
    bobPin = a.cli.json<{ value: string }>('pin', 'add', '--person', String(bob.id)).value;
    expect(await opens(b, janePin)).toBe(false);

    const r = b.cli.json<{ ok: boolean; mode: string; counts: { people: { added: number } } }>('sync', 'run');
    expect(r).toMatchObject({ ok: true, mode: 'incremental', counts: { people: { added: 2 } } });
    expect(await opens(b, janePin)).toBe(true);
    expect(await opens(b, bobPin)).toBe(true);
    // Synced people are A's to change.
    const synced = b.cli.json<{ id: number; first_name: string }[]>('person', 'list').find((p) => p.first_name === 'Jane')!;
    const refused = b.cli.run('person', 'delete', String(synced.id));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/synced from the upstream API/);
  });

  it('deleted on A, the PIN stops opening B after the next pull (incremental)', async () => {
    a.cli.json('credential', 'delete', janeCred);
    const r = b.cli.json<{ ok: boolean; mode: string; counts: { credentials: { removed: number } } }>('sync', 'run');
    expect(r).toMatchObject({ ok: true, mode: 'incremental', counts: { credentials: { removed: 1 } } });
    expect(await opens(b, janePin)).toBe(false);
    expect(await opens(b, bobPin)).toBe(true);
  });

  it('with A stopped, B fails its pull, says so, and keeps admitting from its cache', async () => {
    await a.stop();
    const r = b.cli.run('--json', 'sync', 'run');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, kind: 'network' });
    expect(await opens(b, bobPin)).toBe(true);
    const status = b.cli.json<{ status: string; last_error: string; last_success_at: string }>('sync', 'status');
    expect(status.status).toBe('failing');
    expect(status.last_error).toMatch(/ECONNREFUSED/);
    expect(status.last_success_at).toMatch(/Z$/);
    const live = b.cli.json<{ sync: { status: string; age_s: number } }>('status');
    expect(live.sync).toMatchObject({ status: 'failing' });
    const types = (
      await eventually(
        () => b.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '1000').events,
        (e) => e.some((x) => x.event_type === 'sync_failed'),
      )
    ).map((e) => e.event_type);
    expect(types).toEqual(expect.arrayContaining(['sync_completed', 'sync_failed']));
    // No PIN in B's log or events.
    expect(b.stderr + JSON.stringify(types)).not.toContain(bobPin);
    // DoorFlow's account.sync, over B's own API.
    const token = b.cli.json<{ token: string }>('token', 'add', '--scope', 'account.person.readonly').token;
    const account = (await (await fetch(`${bApi}/api/3/account`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      sync: { status: string; last_sync: string };
    };
    expect(account.sync).toMatchObject({ status: 'failing', last_sync: status.last_success_at });
    // doctor names the upstream that does not answer.
    const doctor = JSON.parse(b.cli.run('--json', 'doctor').stdout) as { name: string; verdict: string; detail: string }[];
    expect(doctor.find((c) => c.name === 'upstream')).toMatchObject({ verdict: 'fail', detail: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('with B stopped, `keypadd sync run` pulls in its own process', async () => {
    await b.stop();
    await a.start();
    const r = b.cli.json<{ ok: boolean; counts: { people: { changed: number } } }>('sync', 'run', '--full');
    expect(r.ok).toBe(true);
    const doctor = JSON.parse(b.cli.run('--json', 'doctor').stdout) as { name: string; verdict: string }[];
    expect(doctor.find((c) => c.name === 'upstream')?.verdict).toBe('pass');
    expect(b.cli.json<{ status: string }>('sync', 'status').status).toBe('complete');
  });
});
