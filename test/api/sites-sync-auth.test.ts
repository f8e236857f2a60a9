/** DoorFlow's sites and sync, and HTTP Basic with the token as the user name, over real HTTP against `keypadd run --sim`. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiDaemon, token } from '../helpers/api-client.js';
import type { SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let api: ApiClient;

beforeAll(async () => {
  ({ d, api } = await apiDaemon('site: { name: Workshop, time_zone: Europe/London }\n', cleanups));
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

function withAuthorization(authorization: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path, headers: { authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sites, sync and Basic auth', () => {
  it('GET /sites: this controller’s site, with its name, time zone and addresses', async () => {
    const sites = await api.get('/api/3/sites', token(d, 'site', 'account.site.readonly'));
    expect(sites.status).toBe(200);
    expect(sites.body).toHaveLength(1);
    expect(sites.body[0]).toMatchObject({ id: 1, name: 'Workshop', time_zone: 'Europe/London' });
    expect(Array.isArray(sites.body[0].site_ips)).toBe(true);
    expect(sites.headers.total).toBe('1');
    expect((await api.get('/api/3/sites')).status).toBe(403);
  });

  it('POST /sync answers ok, and 429 with retry_in when asked again too soon', async () => {
    const sync = token(d, 'sync', 'account.sync');
    const first = await api.post('/api/3/sync', undefined, sync);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ result: 'ok', started: false });
    const again = await api.post('/api/3/sync', undefined, sync);
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ error: 'rate_limited' });
    expect(again.body.retry_in).toBeGreaterThan(0);
    expect(again.body.retry_in).toBeLessThanOrEqual(30);
  });

  it('HTTP Basic with the token as the user name works like Bearer; a wrong one is 401', async () => {
    const viewer = token(d, 'old-integration', 'account.person.readonly');
    const basic = (user: string, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    expect(await withAuthorization(basic(viewer), '/api/3/people')).toBe(200);
    expect(await withAuthorization(basic(viewer, 'X'), '/api/3/people')).toBe(200);
    expect(await withAuthorization(basic(`${viewer}x`), '/api/3/people')).toBe(401);
    expect(await withAuthorization(basic(''), '/api/3/people')).toBe(401);
    expect(await withAuthorization(basic(viewer), '/api/3/reservations')).toBe(403);
  });
});
