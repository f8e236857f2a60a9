/**
 * DoorFlow's published SDK (npm `doorflow`) drives keypadd unchanged, as an integration written for DoorFlow would:
 * notification rules end to end (created with the SDK, delivered to a real receiver), sites and sync.
 */
import { Configuration, NotificationRulesApi, ResponseError, SitesApi, SyncApi } from 'doorflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDaemon, token } from '../helpers/api-client.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';
import { signatureValid, WebhookReceiver } from '../helpers/webhook-receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
let d: SimDaemon;
let config: Configuration;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
  cleanups.push(() => receiver.stop());
  const started = await apiDaemon('', cleanups as (() => void)[]);
  d = started.d;
  const t = token(d, 'sdk', 'account.notification_rule', 'account.site.readonly', 'account.sync');
  // As the SDK's own DoorFlowAuth hands the token to its generated clients: the whole Authorization value.
  config = new Configuration({ basePath: `http://127.0.0.1:${started.api.port}`, accessToken: `Bearer ${t}` });
}, 30_000);
afterAll(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe('DoorFlow SDK against keypadd', () => {
  it('notification rules: create, list, get, update, delete; the rule delivers', async () => {
    const rules = new NotificationRulesApi(config);
    const made = await rules.createNotificationRule({
      notificationRuleInput: { name: 'SDK rule', callBackUrl: receiver.url, matchEventCodes: [24], matchControllerIds: [1] },
    });
    expect(made).toMatchObject({ name: 'SDK rule', active: true, events: [{ code: 24 }] });
    expect(made.actions[0]).toMatchObject({ type: 0, data: receiver.url });
    expect((await rules.listNotificationRules()).map((r) => r.id)).toContain(made.id);
    expect((await rules.getNotificationRule({ id: made.id })).name).toBe('SDK rule');
    const changed = await rules.updateNotificationRule({
      id: made.id,
      notificationRuleInput: { name: 'SDK rule 2', callBackUrl: receiver.url, matchEventCodes: [24, 20] },
    });
    expect(changed).toMatchObject({ name: 'SDK rule 2', conditions: [] });
    expect(changed.events.map((e) => e.code)).toEqual([20, 24]);
    const r = await d.cli.runAsync('--json', 'sim', 'key', '000555#');
    expect(r.status).toBe(0);
    const got = await eventually(
      () => receiver.taken(),
      (t) => t.length >= 1,
    );
    expect(got[0]!.body.event_code).toBe(24);
    expect(got[0]!.headers['x-keypadd-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signatureValid(got[0]!, 'not the secret')).toBe(false);
    expect(await rules.deleteNotificationRule({ id: made.id })).toMatchObject({ result: 'ok' });
    await expect(rules.getNotificationRule({ id: made.id })).rejects.toBeInstanceOf(ResponseError);
  });

  it('a refused rule comes back to the SDK as a 422 naming the field', async () => {
    const rules = new NotificationRulesApi(config);
    const err = await rules
      .createNotificationRule({ notificationRuleInput: { name: 'x', callBackUrl: 'http://example.com/', matchEventCodes: [24] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseError);
    const res = (err as ResponseError).response;
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: Record<string, string[]> }).errors.call_back_url).toBeDefined();
  });

  it('sites and sync', async () => {
    const [site] = await new SitesApi(config).listSites();
    expect(site).toMatchObject({ id: 1, name: 'keypadd' });
    expect(await new SyncApi(config).initiateSync()).toMatchObject({ result: 'ok' });
    const again = await new SyncApi(config).initiateSync().catch((e: unknown) => e);
    expect((again as ResponseError).response.status).toBe(429);
  });
});
