/** The DoorFlow-compatible API over real HTTP against a child `keypadd run --sim`: the guide's examples verbatim. */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireTool } from '../helpers/broker.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let base: string;
let full: string;
let readonly: string;

beforeAll(async () => {
  const port = await freePort();
  d = simDoor(`api: { enabled: true, listen: 127.0.0.1:${port} }\n`, cleanups);
  await d.start();
  await eventually(
    () => d.stderr,
    (s) => s.includes('API listening'),
    20_000,
  );
  base = `http://127.0.0.1:${port}`;
  const scopes = ['account.person', 'account.reservation', 'account.event.access.readonly', 'account.channel.readonly', 'account.channel.admit'];
  full = d.cli.json<{ token: string }>('token', 'add', '--name', 'hr-script', ...scopes.flatMap((s) => ['--scope', s])).token;
  readonly = d.cli.json<{ token: string }>('token', 'add', '--name', 'viewer', '--scope', 'account.person.readonly').token;
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

async function api(method: string, path: string, body?: unknown, token = full, raw?: string) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  // Answers are checked field by field below; the loose type keeps those checks short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json: any = text ? JSON.parse(text) : null;
  return { status: res.status, headers: res.headers, body: json };
}

/**
 * A digest of every row of every table, per table, read straight from the daemon's database (WAL lets a second
 * reader in). What a refused request must leave as it was; counts alone miss a row changed in place. The one column
 * left out is a token's last_used_at: any request with a good token may record that it was used.
 */
function snapshot(): Record<string, string> {
  const db = new Database(join(d.cli.dataDir, 'keypadd.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => {
        const rows = (db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]).map((row) => {
          if (t === 'api_tokens') delete row.last_used_at;
          return JSON.stringify(row);
        });
        return [t, `${rows.length} rows, ${createHash('sha256').update(rows.sort().join('\n')).digest('hex').slice(0, 16)}`];
      }),
    );
  } finally {
    db.close();
  }
}

describe('DoorFlow API: the guide, verbatim', () => {
  let personId: number;

  it('creates the visitor (POST /api/3/people)', async () => {
    const r = await api('POST', '/api/3/people', { first_name: 'Jane', last_name: 'Visitor', email: 'jane@example.com' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ first_name: 'Jane', last_name: 'Visitor', email: 'jane@example.com', enabled: true, groups: [] });
    personId = r.body.id as number;
  });

  it('Option A: auto-generates a PIN for "******" and returns it once', async () => {
    const r = await api('POST', `/api/3/people/${personId}/credentials`, {
      person_credential: { credential_type_id: 6, value: '******', enabled: true },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ credential_type_id: 6, enabled: true, person_id: personId });
    expect(r.body.value).toMatch(/^\d{6}$/);
    expect(r.body.id).toMatch(/^cred_/);
    expect(r.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const list = await api('GET', `/api/3/people/${personId}/credentials`);
    expect(list.body.map((c: { value: unknown }) => c.value)).toEqual([null]); // digest storage: never again
    // Reset: delete the old PIN, create a new one.
    expect((await api('DELETE', `/api/3/people/${personId}/credentials/${r.body.id as string}`)).status).toBe(200);
    expect(
      (await api('POST', `/api/3/people/${personId}/credentials`, { person_credential: { credential_type_id: 6, value: '******', enabled: true } }))
        .status,
    ).toBe(201);
  });

  it('409 with the existing credential when the person already has a PIN', async () => {
    const r = await api('POST', `/api/3/people/${personId}/credentials`, {
      person_credential: { credential_type_id: 6, value: '5678', enabled: true },
    });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ credential_type_id: 6, person_id: personId, value: null });
  });

  it('Option B: a custom PIN 5678 for another person', async () => {
    const p = await api('POST', '/api/3/people', { first_name: 'Bob', last_name: 'Builder' });
    const r = await api('POST', `/api/3/people/${p.body.id as number}/credentials`, {
      person_credential: { credential_type_id: 6, value: '5678', enabled: true },
    });
    expect(r.status).toBe(201);
    expect(r.body.value).toBe('5678');
  });

  it.each([
    ['123', 'must be 4 to 8 digits'],
    ['12AB', 'digits only'],
    ['1234 ', 'digits only'],
    ['', 'must not be empty'],
  ])('refuses the invalid PIN %j with 422 in DoorFlow’s shape and changes nothing', async (value, message) => {
    const p = await api('POST', '/api/3/people', { first_name: 'Pat', last_name: `Invalid${value.length}` });
    const before = snapshot();
    const r = await api('POST', `/api/3/people/${p.body.id as number}/credentials`, {
      person_credential: { credential_type_id: 6, value, enabled: true },
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: 'validation_failed', errors: { value: [expect.stringContaining(message)] } });
    expect(snapshot()).toEqual(before);
  });

  it('disables a PIN with PUT {"person_credential":{"enabled":false}}, and refuses a value change', async () => {
    const [cred] = (await api('GET', `/api/3/people/${personId}/credentials`)).body as { id: string }[];
    const r = await api('PUT', `/api/3/people/${personId}/credentials/${cred!.id}`, { person_credential: { enabled: false } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: cred!.id, enabled: false });
    const v = await api('PUT', `/api/3/people/${personId}/credentials/${cred!.id}`, { person_credential: { value: '9182' } });
    expect(v.status).toBe(422);
    expect(v.body).toMatchObject({ errors: { value: ['cannot be changed: delete it and create a new one'] } });
    await api('PUT', `/api/3/people/${personId}/credentials/${cred!.id}`, { person_credential: { enabled: true } });
  });

  it('employee onboarding: a card and a backup PIN, in the guide’s short form', async () => {
    const p = await api('POST', '/api/3/people', { first_name: 'Erin', last_name: 'Employee' });
    const card = await api('POST', `/api/3/people/${p.body.id as number}/credentials`, { credential_type_id: 5, value: '1234567890', enabled: true });
    expect(card.status).toBe(201);
    expect(card.body).toMatchObject({ credential_type_id: 5, value: '1234567890' });
    expect(
      (await api('POST', `/api/3/people/${p.body.id as number}/credentials`, { credential_type_id: 6, value: '******', enabled: true })).status,
    ).toBe(201);
  });

  it('creates a visitor reservation', async () => {
    const r = await api('POST', '/api/3/reservations', { person_id: personId, start_time: '2030-01-15T09:00:00Z', end_time: '2030-01-15T17:00:00Z' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ person_id: personId, start_time: '2030-01-15T09:00:00Z', end_time: '2030-01-15T17:00:00Z', channel_ids: [1] });
    expect(((await api('GET', '/api/3/reservations')).body as unknown[]).length).toBeGreaterThan(0);
  });

  it('end to end: a PIN made over the API opens the sim door; the event names the credential', async () => {
    const p = await api('POST', '/api/3/people', { first_name: 'Sam', last_name: 'Staff' });
    const pin = await api('POST', `/api/3/people/${p.body.id as number}/credentials`, {
      person_credential: { credential_type_id: 6, value: '******', enabled: true },
    });
    expect(d.key(`${pin.body.value as string}#`).relay).toBe('unlocked');
    const got = await eventually(
      async () => ((await api('GET', `/api/3/events?person_id=${p.body.id as number}`)).body as { events: unknown[] }).events,
      (e) => e.length > 0,
    );
    expect(got).toEqual([
      expect.objectContaining({
        event_type: 'access_granted',
        person_id: p.body.id,
        credential_id: pin.body.id,
        credential_type: 'PIN',
        channel_name: 'Front Door',
      }),
    ]);
  });
});

describe('API behaviour', () => {
  it('answers 401 without or with a wrong token, 403 without the scope', async () => {
    expect((await api('GET', '/api/3/people', undefined, '')).status).toBe(401);
    expect((await api('GET', '/api/3/people', undefined, 'kpd_wrong')).body).toMatchObject({ error: 'invalid_token' });
    expect((await api('GET', '/api/3/people', undefined, readonly)).status).toBe(200);
    const w = await api('POST', '/api/3/people', { first_name: 'X', last_name: 'Y' }, readonly);
    expect(w.status).toBe(403);
    expect(w.body).toMatchObject({ error: 'forbidden', error_description: 'this token lacks the account.person scope' });
    expect((await api('GET', '/api/3/events', undefined, readonly)).status).toBe(403);
    expect((await api('POST', '/api/3/channels/1/admit', undefined, readonly)).status).toBe(403);
  });

  it('pages with Total/Per-Page and the older X- headers', async () => {
    const r = await api('GET', '/api/3/people?per_page=2&page=2');
    expect(r.status).toBe(200);
    expect((r.body as unknown[]).length).toBe(2);
    const total = Number(r.headers.get('total'));
    expect(total).toBeGreaterThanOrEqual(4);
    expect(r.headers.get('x-total-results')).toBe(String(total));
    expect([r.headers.get('per-page'), r.headers.get('x-per-page'), r.headers.get('x-page')]).toEqual(['2', '2', '2']);
    expect((await api('GET', '/api/3/people?per_page=501')).status).toBe(422); // DoorFlow's default page is 500: the cap
  });

  it('answers 400 for malformed JSON and 413 for a body over 64 KiB, changing nothing', async () => {
    const before = snapshot();
    const bad = await api('POST', '/api/3/people', undefined, full, '{"first_name": ');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'bad_request' });
    const big = await api('POST', '/api/3/people', { first_name: 'x'.repeat(70_000), last_name: 'y' });
    expect(big.status).toBe(413);
    expect(snapshot()).toEqual(before);
    expect((await api('PATCH', '/api/3/people')).status).toBe(405);
    expect((await api('GET', '/api/3/nothing')).status).toBe(404);
  });

  it('shows doors as channels, and admits remotely with an event naming the token', async () => {
    const list = await api('GET', '/api/3/channels');
    expect(list.body).toEqual([
      expect.objectContaining({
        id: 1,
        name: 'Front Door',
        status: 'online',
        door: 'closed',
        mode: { description: 'normal', relock_at: null, change_stamp: null },
        lockdown: null,
        auto_unlock: null,
        relay: expect.stringMatching(/^(locked|unlocked)$/),
      }),
    ]);
    // DoorFlow's admit: 202 with an admission request.
    const admit = await api('POST', '/api/3/channels/1/admit');
    expect(admit).toMatchObject({ status: 202, body: { admission_request_id: expect.any(Number), status: 'admitted' } });
    expect((await api('GET', '/api/3/channels/1')).body).toMatchObject({ relay: 'unlocked' });
    expect((await api('POST', '/api/3/channels/1/unlock')).body).toMatchObject({ mode: { description: 'unlock' }, relay: 'unlocked' });
    expect((await api('POST', '/api/3/channels/1/normal')).body).toMatchObject({ mode: { description: 'normal' }, relay: 'locked' });
    expect((await api('GET', '/api/3/channels/9')).status).toBe(404);
    const e = await eventually(
      async () =>
        ((await api('GET', '/api/3/events?channels=1&event_codes=50,53,54')).body as { events: { event_type: string; source: string }[] }).events,
      (x) => x.length >= 3,
    );
    // The source is in the event's own field, as for every event (never in detail).
    expect(e.map((x) => [x.event_type, x.source])).toEqual([
      ['remote_normal', 'api:hr-script'],
      ['remote_hold_unlocked', 'api:hr-script'],
      ['remote_unlock', 'api:hr-script'],
    ]);
  });

  it('survives a randomised fuzz of bodies and paths: never a 500, never a changed row', async () => {
    const before = snapshot();
    const paths = [
      '/api/3/people',
      '/api/3/people/1',
      '/api/3/people/1/credentials',
      '/api/3/people/999/credentials/cred_x',
      '/api/3/reservations',
      '/api/3/events',
      '/api/3/people/abc',
      '/api/3/../etc/passwd',
      '/api/3/credentials?page=-1',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.constantFrom('POST', 'PUT', 'GET'), fc.jsonValue(), async (path, method, body) => {
        // Bodies that could be valid creations are kept out: the point is that refusals change nothing.
        const b =
          typeof body === 'object' && body !== null && !Array.isArray(body)
            ? { ...body, first_name: 1, start_time: 'never', credential_type_id: 'x' }
            : body;
        const r = await api(method, path, method === 'GET' ? undefined : b);
        expect(r.status).toBeLessThan(500);
      }),
      { numRuns: 300, seed: 42 },
    );
    expect(snapshot()).toEqual(before);
  }, 60_000);

  it('lists tokens without their values (`token list`), and refuses a revoked one at once (`token revoke`)', async () => {
    interface TokenJson {
      id: number;
      name: string;
      scopes: string[];
      last_used_at: string | null;
      revoked_at: string | null;
    }
    const made = d.cli.json<TokenJson & { token: string }>('token', 'add', '--name', 'door-script', '--scope', 'account.person.readonly');
    expect((await api('GET', '/api/3/people', undefined, made.token)).status).toBe(200);
    const listed = () => d.cli.json<TokenJson[]>('token', 'list').find((t) => t.id === made.id);
    expect(listed()).toEqual({
      id: made.id,
      name: 'door-script',
      scopes: ['account.person.readonly'],
      created_at: expect.stringMatching(/Z$/),
      last_used_at: expect.stringMatching(/Z$/),
      revoked_at: null,
    });
    const table = d.cli.run('token', 'list').stdout;
    expect(table).toMatch(new RegExp(`^${made.id}\\s+door-script\\s+account\\.person\\.readonly\\s`, 'm'));
    expect(table + d.cli.run('--json', 'token', 'list').stdout).not.toContain(made.token);

    expect(d.cli.json('token', 'revoke', String(made.id))).toEqual({ id: made.id, revoked: true });
    // The running daemon's API refuses it with the next request: no restart, no cache.
    const refused = await api('GET', '/api/3/people', undefined, made.token);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'invalid_token' });
    expect(listed()!.revoked_at).toMatch(/Z$/);
    const again = d.cli.run('token', 'revoke', String(made.id));
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`no live token ${made.id}`);
  });

  it('throttles an address after repeated bad tokens', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await api('GET', '/api/3/account', undefined, `kpd_guess${i}`)).status);
    // Earlier tests already spent three bad tokens from this address (within the minute, unless the machine is
    // slow): an empty one, a wrong one and a revoked one. The 10th bad token in a minute blocks it.
    const first429 = statuses.indexOf(429);
    expect(first429).toBeGreaterThanOrEqual(7);
    expect(first429).toBeLessThanOrEqual(10);
    expect(statuses.slice(0, first429).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(first429).every((s) => s === 429)).toBe(true);
    // ...but a good token from that address still works (one address is often many clients: NAT, a proxy).
    expect((await api('GET', '/api/3/account')).status).toBe(200);
  });
});

describe.skipIf(!requireTool('openssl', 'API https'))('API over https', () => {
  /** GET over https, trusting only `ca`; rejects on any TLS or connection error. */
  function httpsGet(url: string, token: string, ca?: Buffer): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { headers: { Authorization: `Bearer ${token}` }, ...(ca ? { ca } : {}) }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves https with api.cert_file and api.key_file; plain http gets no answer', async () => {
    const port = await freePort();
    const tls = simDoor('', cleanups);
    const dir = tls.cli.dataDir;
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'api.key',
        '-out',
        'api.crt',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    writeFileSync(
      tls.cli.configFile,
      `api: { enabled: true, listen: 127.0.0.1:${port}, cert_file: ${join(dir, 'api.crt')}, key_file: ${join(dir, 'api.key')} }\n`,
    );
    await tls.start();
    await eventually(
      () => tls.stderr,
      (e) => e.includes('API listening'),
      20_000,
    );
    expect(tls.stderr).toContain(`API listening on https://127.0.0.1:${port}/api/3`);
    const token = tls.cli.json<{ token: string }>('token', 'add', '--scope', 'account.person.readonly').token;
    const r = await httpsGet(`https://127.0.0.1:${port}/api/3/people`, token, readFileSync(join(dir, 'api.crt')));
    expect(r).toMatchObject({ status: 200, body: [expect.objectContaining({ first_name: 'Demo', last_name: 'Person' })] });
    // It is the configured certificate: a client that does not trust it refuses the connection.
    await expect(httpsGet(`https://127.0.0.1:${port}/api/3/people`, token)).rejects.toThrow(/self[- ]signed/);
    await expect(fetch(`http://127.0.0.1:${port}/api/3/people`, { headers: { Authorization: `Bearer ${token}` } })).rejects.toThrow();
  });
});
