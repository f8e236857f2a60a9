/**
 * DoorFlow's notification rules over real HTTP against a `keypadd run --sim` child: shapes, scopes, refusals, the
 * secret shown once; and, with a real receiver, an endpoint failing "for a day" (shortened) raising its alarm and
 * recovering in order, and a redirect to another host never followed.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, apiDaemon, token } from '../helpers/api-client.js';
import { freePort } from '../helpers/broker.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';
import { signatureValid, WebhookReceiver } from '../helpers/webhook-receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
let d: SimDaemon;
let api: ApiClient;
let rules: string;
let viewer: string;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
  cleanups.push(() => receiver.stop());
  // A day shortened to 3 s, the backoff to 200 ms doubling to 1 s.
  const started = await apiDaemon('', cleanups as (() => void)[], {
    KEYPADD_TEST_WEBHOOK_FAILING_MS: '3000',
    KEYPADD_TEST_WEBHOOK_RETRY_MS: '200',
    KEYPADD_TEST_WEBHOOK_RETRY_MAX_MS: '1000',
  });
  d = started.d;
  api = started.api;
  rules = token(d, 'alerting', 'account.notification_rule');
  viewer = token(d, 'viewer', 'account.notification_rule.readonly');
}, 30_000);
afterAll(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const body = (url: string, extra: Record<string, unknown> = {}) => ({ name: 'Alarms', call_back_url: url, match_event_codes: [24], ...extra });

async function denial(pin: string): Promise<void> {
  const r = await d.cli.runAsync('--json', 'sim', 'key', `${pin}#`);
  if (r.status !== 0) throw new Error(r.stderr);
}

describe('notification rules API', () => {
  it('creates a rule in DoorFlow’s shape, with the secret once; reads never show it', async () => {
    const made = await api.post('/api/3/notification_rules', body(receiver.url, { match_controller_ids: [1] }), rules);
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({
      name: 'Alarms',
      active: true,
      conditions: [{ type: 'door_controller_id', value: '1' }],
      events: [{ code: 24, name: 'Reject PIN' }],
      actions: [{ type: 0, type_description: 'Callback URL', data: receiver.url }],
    });
    expect(made.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const one = await api.get(`/api/3/notification_rules/${made.body.id}`, viewer);
    expect(one.status).toBe(200);
    expect(one.body.secret).toBeUndefined();
    const list = await api.get('/api/3/notification_rules', viewer);
    expect(list.body.map((r: { id: number }) => r.id)).toContain(made.body.id);
    expect(JSON.stringify(list.body)).not.toContain(made.body.secret);
    expect(d.stderr).not.toContain(made.body.secret);
    // Delivered, signed with that secret.
    await denial('000111');
    const got = await eventually(
      () => receiver.taken(),
      (t) => t.length >= 1,
    );
    expect(signatureValid(got[0]!, made.body.secret)).toBe(true);
    expect(got[0]!.body).toMatchObject({ event_code: 24, channel_id: 1 });
    expect(await api.call({ method: 'DELETE', path: `/api/3/notification_rules/${made.body.id}`, token: rules })).toMatchObject({
      status: 200,
      body: { result: 'ok' },
    });
    expect((await api.get(`/api/3/notification_rules/${made.body.id}`, viewer)).status).toBe(404);
  });

  it('refuses what it cannot honour, naming the field; scopes are enforced', async () => {
    const http = await api.post('/api/3/notification_rules', body('http://example.com/hook'), rules);
    expect(http.status).toBe(422);
    expect(http.body.errors.call_back_url[0]).toMatch(/only to loopback/);
    expect((await api.post('/api/3/notification_rules', body('http://example.com/hook', { allow_insecure_http: true }), rules)).status).toBe(200);
    const bad = await api.post(
      '/api/3/notification_rules',
      { name: '', call_back_url: 'ftp://x', match_event_codes: [999], match_controller_ids: [7] },
      rules,
    );
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['call_back_url', 'match_controller_ids', 'match_event_codes', 'name']);
    expect((await api.post('/api/3/notification_rules', body(receiver.url), viewer)).status).toBe(403);
    expect((await api.get('/api/3/notification_rules')).status).toBe(403);
    expect((await api.put('/api/3/notification_rules/99999', body(receiver.url), rules)).status).toBe(404);
  });

  it('an endpoint failing for "a day" raises webhook_failing; back, it catches up in order and says so', async () => {
    const port = await freePort();
    const down = new WebhookReceiver();
    down.port = port;
    cleanups.push(() => down.stop());
    const made = await api.post('/api/3/notification_rules', body(down.url, { name: 'Flaky' }), rules);
    await denial('000222');
    await denial('000333');
    const alarm = await eventually(
      () => d.cli.json<{ events: { event_type: string; detail: { rule_id?: number } }[] }>('event', 'list').events,
      (e) => e.some((x) => x.event_type === 'webhook_failing' && x.detail.rule_id === made.body.id),
      10_000,
    );
    expect(alarm.length).toBeGreaterThan(0);
    expect((await api.get(`/api/3/notification_rules/${made.body.id}`, viewer)).body.delivery.state).toBe('failing');
    await down.start();
    const got = await eventually(
      () => down.taken(),
      (t) => t.length >= 2,
      10_000,
    );
    expect(got.map((r) => r.body.id)).toEqual([...got.map((r) => r.body.id)].sort((a, b) => a - b));
    await eventually(
      () => d.cli.json<{ events: { event_type: string }[] }>('event', 'list').events,
      (e) => e.some((x) => x.event_type === 'webhook_recovered'),
    );
    expect((await api.get(`/api/3/notification_rules/${made.body.id}`, viewer)).body.delivery).toMatchObject({ state: 'ok', failing_since: null });
    // PUT replaces the rule (inactive now: it holds no events back).
    const off = await api.put(`/api/3/notification_rules/${made.body.id}`, body(down.url, { name: 'Flaky', active: false }), rules);
    expect(off.body).toMatchObject({ active: false, delivery: { state: 'inactive', backlog: 0 } });
  }, 30_000);

  it('a slack-format rule posts {"text"} (signed over exactly those bytes); an unknown format is refused', async () => {
    const slack = new WebhookReceiver();
    await slack.start();
    cleanups.push(() => slack.stop());
    const made = await api.post('/api/3/notification_rules', body(slack.url, { name: 'Slack', payload_format: 'slack' }), rules);
    expect(made.body.payload_format).toBe('slack');
    await denial('000666');
    const [got] = await eventually(
      () => slack.taken(),
      (t) => t.length >= 1,
    );
    expect(Object.keys(got!.body)).toEqual(['text']);
    expect(got!.body.text).toMatch(/rejected/);
    expect(signatureValid(got!, made.body.secret)).toBe(true);
    await api.call({ method: 'DELETE', path: `/api/3/notification_rules/${made.body.id}`, token: rules });
    const bad = await api.post('/api/3/notification_rules', body(slack.url, { payload_format: 'xml' }), rules);
    expect(bad.body.errors.payload_format[0]).toMatch(/one of event, slack, telegram, text/);
    const noChat = await api.post(
      '/api/3/notification_rules',
      body('https://api.telegram.org/botT/sendMessage', { payload_format: 'telegram' }),
      rules,
    );
    expect(noChat.body.errors.call_back_url[0]).toMatch(/chat_id/);
  });

  it('a rule deleted and another made in the same second: the new one delivers to its own URL, under a new id', async () => {
    const first = new WebhookReceiver();
    const second = new WebhookReceiver();
    await first.start();
    await second.start();
    cleanups.push(
      () => first.stop(),
      () => second.stop(),
    );
    const a = await api.post('/api/3/notification_rules', body(first.url, { name: 'A' }), rules);
    await new Promise((r) => setTimeout(r, 600)); // the worker has a runner for it
    await api.call({ method: 'DELETE', path: `/api/3/notification_rules/${a.body.id}`, token: rules });
    const b = await api.post('/api/3/notification_rules', body(second.url, { name: 'B' }), rules);
    expect(b.body.id).not.toBe(a.body.id);
    await denial('000777');
    const got = await eventually(
      () => second.taken(),
      (t) => t.length >= 1,
    );
    expect(signatureValid(got[0]!, b.body.secret)).toBe(true);
    expect(first.received).toHaveLength(0);
    await api.call({ method: 'DELETE', path: `/api/3/notification_rules/${b.body.id}`, token: rules });
  });

  it('never follows a redirect to another host', async () => {
    let elsewhere = 0;
    const other = createServer((_req, res) => {
      elsewhere++;
      res.end();
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', () => r()));
    cleanups.push(() => new Promise<void>((r) => other.close(() => r())));
    const target = `http://127.0.0.2:${(other.address() as { port: number }).port}/stolen`;
    const redirector = createServer((_req, res) => res.writeHead(307, { location: target }).end());
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => redirector.close(() => r())));
    const made = await api.post('/api/3/notification_rules', body(`http://127.0.0.1:${(redirector.address() as { port: number }).port}/hook`), rules);
    await denial('000444');
    const rule = await eventually(
      async () => (await api.get(`/api/3/notification_rules/${made.body.id}`, viewer)).body,
      (r) => r.delivery.last_error !== null,
    );
    expect(rule.delivery.last_error).toMatch(/redirect to another host/);
    expect(elsewhere).toBe(0);
    await api.call({ method: 'DELETE', path: `/api/3/notification_rules/${made.body.id}`, token: rules });
  });

  it('events: sort=ASC oldest first, DESC (default) newest first; a bad sort is refused', async () => {
    const asc = await api.get('/api/3/events?sort=ASC&n=1000');
    const desc = await api.get('/api/3/events?n=1000');
    const ids = (r: { body: { events: { id: number }[] } }) => r.body.events.map((e) => e.id);
    expect(ids(asc).length).toBeGreaterThan(2);
    expect(ids(asc)).toEqual([...ids(desc)].reverse());
    expect((await api.get('/api/3/events?sort=sideways')).body.errors.sort).toBeDefined();
    expect((await api.get('/api/3/events?n=1001')).status).toBe(422);
  });
});
