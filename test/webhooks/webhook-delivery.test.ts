/**
 * Webhooks lose nothing: a real `keypadd run --sim` child delivers to a real HTTP receiver started here. Wrong PINs
 * make the events (each one access_denied, code 24; the lockouts they cause add events the rule does not match).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';
import { signatureValid, WebhookReceiver, type Received } from '../helpers/webhook-receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const TWO_DOORS = `doors: [{ id: 1, name: Front }, { id: 2, name: Back }]\n`;

async function setup(): Promise<{ d: SimDaemon; receiver: WebhookReceiver }> {
  const receiver = new WebhookReceiver();
  await receiver.start();
  cleanups.push(() => receiver.stop());
  const d = simDoor(TWO_DOORS, cleanups as (() => void)[]);
  // The backoff's ceiling is 5 min in production; 2 s keeps a 10 s outage's catch-up inside the test's time.
  d.cli.extraEnv = { KEYPADD_TEST_WEBHOOK_RETRY_MAX_MS: '2000' };
  return { d, receiver };
}

/** `count` wrong PINs on a door in one request, without blocking this process (the receiver runs in it). */
async function wrongPins(d: SimDaemon, door: number, count: number, from: number): Promise<void> {
  const keys = Array.from({ length: count }, (_, i) => `${String(from + i).padStart(6, '0')}#`).join('');
  const r = await d.cli.runAsync('--json', 'sim', 'key', '--door', String(door), keys);
  if (r.status !== 0) throw new Error(`sim key: ${r.stderr}`);
}

function addRule(d: SimDaemon, url: string, ...extra: string[]): { id: number; secret: string } {
  return d.cli.json<{ id: number; secret: string }>('webhook', 'add', '--name', 'denials', '--url', url, '--event', '24', ...extra);
}

const denials = (d: SimDaemon) =>
  d.cli
    .json<{ events: { id: number; event_type: string; uid: string }[] }>('event', 'list', '--limit', '1000000')
    .events.filter((e) => e.event_type === 'access_denied');

/** Every denial taken at least once; first arrivals in id order; every repeat carries the same key and body. */
function expectAllInOrder(d: SimDaemon, taken: Received[], secret: string): void {
  const expected = denials(d)
    .map((e) => e.id)
    .sort((a, b) => a - b);
  const firstSeen: number[] = [];
  const byKey = new Map<string, string>();
  for (const r of taken) {
    expect(signatureValid(r, secret)).toBe(true);
    const key = String(r.headers['idempotency-key']);
    expect(key).toBe(r.body.uid);
    const before = byKey.get(key);
    if (before === undefined) {
      byKey.set(key, r.raw);
      firstSeen.push(r.body.id as number);
    } else expect(r.raw).toBe(before);
  }
  expect(firstSeen).toEqual(expected);
}

describe('webhook delivery', () => {
  it('1,000 events with the receiver down for 10 s: all delivered in order after it returns, repeats only with the same key', async () => {
    const { d, receiver } = await setup();
    await d.start();
    const rule = addRule(d, receiver.url);
    for (let batch = 0; batch < 10; batch++) {
      if (batch === 3) await receiver.stop();
      await wrongPins(d, (batch % 2) + 1, 100, batch * 100);
    }
    expect(denials(d)).toHaveLength(1000);
    const status = await eventually(
      () => d.cli.runAsync('--json', 'status').then((r) => JSON.parse(r.stdout) as { webhooks: { retrying: number; backlog: number } }),
      (s) => s.webhooks.retrying === 1,
    );
    expect(status.webhooks.backlog).toBeGreaterThan(0);
    const takenWhileUp = receiver.taken().length;
    expect(takenWhileUp).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 10_000));
    await receiver.start();
    await eventually(
      () => new Set(receiver.taken().map((r) => r.body.id)).size,
      (n) => n >= 1000,
      30_000,
    );
    expectAllInOrder(d, receiver.taken(), rule.secret);
    // Caught up, the state says so (and the rule delivered nothing it does not match: only code 24).
    expect(receiver.taken().every((r) => r.body.event_code === 24)).toBe(true);
    const rules = await eventually(
      () => d.cli.json<{ delivery: { state: string; backlog: number; last_error: string | null } }[]>('webhook', 'list'),
      (l) => l[0]!.delivery.backlog === 0,
    );
    expect(rules[0]!.delivery).toMatchObject({ state: 'ok', last_error: null });
  }, 90_000);

  it('keypadd killed with SIGKILL mid-delivery and restarted: no event lost', async () => {
    const { d, receiver } = await setup();
    receiver.delayMs = 5;
    await d.start();
    const rule = addRule(d, receiver.url);
    await wrongPins(d, 1, 150, 0);
    await wrongPins(d, 2, 150, 200);
    await eventually(
      () => receiver.taken().length,
      (n) => n >= 30,
      20_000,
    );
    await d.stop('SIGKILL');
    const before = receiver.taken().length;
    expect(before).toBeLessThan(300);
    await d.start();
    await eventually(
      () => new Set(receiver.taken().map((r) => r.body.id)).size,
      (n) => n >= 300,
      30_000,
    );
    expectAllInOrder(d, receiver.taken(), rule.secret);
  }, 90_000);

  it('a 410 parks that event, the rest go on, and the rule reports it', async () => {
    const { d, receiver } = await setup();
    await d.start();
    const rule = addRule(d, receiver.url);
    let refused: number | null = null;
    let asked = 0;
    receiver.answer = (r) => {
      if (++asked === 3) refused = r.body.id as number;
      return r.body.id === refused ? 410 : 200;
    };
    await wrongPins(d, 1, 6, 0);
    await eventually(
      () => receiver.taken().length,
      (n) => n >= 5,
    );
    expect(refused).not.toBeNull();
    // Parked, not retried: the refused event was asked once.
    expect(receiver.received.filter((r) => r.body.id === refused)).toHaveLength(1);
    expect(receiver.taken().map((r) => r.body.id)).toEqual(
      denials(d)
        .map((e) => e.id)
        .filter((id) => id !== refused)
        .sort((a, b) => a - b),
    );
    const [listed] = await eventually(
      () => d.cli.json<{ delivery: { parked: number; recent_parked: { event_id: number; http_status: number }[] } }[]>('webhook', 'list'),
      (l) => l[0]!.delivery.parked === 1,
    );
    expect(listed!.delivery.recent_parked[0]).toMatchObject({ event_id: refused, http_status: 410 });
    const notices = await eventually(
      () => d.cli.json<{ events: { event_type: string; detail: { rule_id: number; event_id: number } }[] }>('event', 'list').events,
      (e) => e.some((x) => x.event_type === 'webhook_parked'),
    );
    expect(notices.find((x) => x.event_type === 'webhook_parked')!.detail).toMatchObject({ rule_id: rule.id, event_id: refused });
    expect(signatureValid(receiver.received[0]!, rule.secret)).toBe(true);
    expect(signatureValid(receiver.received[0]!, `${rule.secret}x`)).toBe(false);
  }, 60_000);
});
