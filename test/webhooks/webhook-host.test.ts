/**
 * The webhook worker is a whole V8 isolate (about 9 MB of a Pi's memory): the host starts it only once an active rule
 * exists, and then it reads that rule. A real SQLite file and the real worker thread (dist/).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { EventBus } from '../../src/services/bus.js';
import type { EventSink } from '../../src/storage/event-writer.js';
import { NotificationRuleRepo } from '../../src/storage/notification-rule-repo.js';
import { openStore, type Store } from '../../src/storage/store.js';
import { WebhookHost, webhookTimings } from '../../src/webhooks/webhook-host.js';
import { eventually } from '../helpers/daemon.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function host(store: Store, dir: string): WebhookHost {
  const sink = { record: () => undefined, saveLockout: () => undefined, saveMode: () => undefined } as unknown as EventSink;
  const log = createLogger('t', 'error', () => undefined);
  const repo = new NotificationRuleRepo(store.db);
  const h = new WebhookHost(
    { dataDir: dir, doors: [{ id: 1, name: 'Front' }], version: 'test', ...webhookTimings({}) },
    new EventBus(() => undefined),
    sink,
    log,
    () => repo.anyActive(),
    50,
  );
  cleanups.push(() => h.stop());
  return h;
}

describe('webhook host', () => {
  it('starts no delivery worker while no rule is active, and starts it once one is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keypadd-webhook-host-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openStore(dir, {});
    cleanups.push(() => store.close());
    const repo = new NotificationRuleRepo(store.db);
    const input = {
      name: 'denials',
      call_back_url: 'http://127.0.0.1:9/hook',
      event_codes: [24],
      door_ids: [],
      allow_http: false,
      payload: 'event' as const,
    };
    repo.insert({ ...input, active: false }, '2026-12-04T00:00:00Z');

    const h = host(store, dir);
    await h.start();
    await new Promise((r) => setTimeout(r, 500));
    // Ten looks later: an inactive rule starts nothing.
    expect(h.workerStarted).toBe(false);
    expect(h.summary().rules).toBe(0);

    repo.insert({ ...input, active: true }, '2026-12-04T00:00:01Z');
    await eventually(
      () => h.workerStarted,
      (v) => v,
    );
    // The worker is really up: it read the active rule and reports it.
    await eventually(
      () => h.summary().rules,
      (n) => n === 1,
    );
  });
});
