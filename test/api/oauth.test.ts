/**
 * OAuth's client credentials grant over real HTTP against `keypadd run --sim`, driven by DoorFlow's SDK where it has
 * the call: a client made with the CLI trades its id and secret for a 2-hour token with the scopes it asked for.
 */
import { Configuration, OauthApi, PeopleApi, ResponseError } from 'doorflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../helpers/api-client.js';
import { apiDaemon } from '../helpers/api-client.js';
import type { SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let api: ApiClient;
let base: string;
let client: { id: number; client_id: string; client_secret: string };

beforeAll(async () => {
  ({ d, api } = await apiDaemon('', cleanups));
  base = `http://127.0.0.1:${api.port}`;
  client = d.cli.json('oauth-client', 'add', '--name', 'membership-sync', '--scope', 'account.person', '--scope', 'account.event.access.readonly');
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const oauth = () => new OauthApi(new Configuration({ basePath: base }));
// The SDK's enum lists the browser grants only; the endpoint takes client_credentials, as DoorFlow's does.
const clientCredentials = 'client_credentials' as 'authorization_code';

async function form(path: string, fields: Record<string, string>, authorization?: string) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('OAuth client credentials', () => {
  it('the SDK gets a token with the asked scopes; it works for those and no others; token info describes it', async () => {
    const got = await oauth()
      .getAccessToken({
        grantType: clientCredentials,
        clientId: client.client_id,
        clientSecret: client.client_secret,
        scope: 'account.person.readonly',
      })
      .catch(async (e: ResponseError) => {
        throw new Error(`${e.response.status} ${await e.response.text()}`);
      });
    expect(got).toMatchObject({ tokenType: 'Bearer', expiresIn: 7200, scope: 'account.person.readonly' });
    const config = new Configuration({ basePath: base, accessToken: `Bearer ${got.accessToken}` });
    expect(Array.isArray(await new PeopleApi(config).listPeople({}))).toBe(true);
    expect((await api.post('/api/3/people', { first_name: 'A', last_name: 'B' }, got.accessToken)).status).toBe(403);
    const info = await api.get('/oauth/token/info', got.accessToken);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ scope: ['account.person.readonly'], application: { uid: client.client_id } });
    expect(info.body.expires_in).toBeGreaterThan(7100);
    expect(info.body.expires_in).toBeLessThanOrEqual(7200);
  });

  it('client credentials as HTTP Basic; no scope asked means all of the client’s', async () => {
    const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
    const r = await form('/oauth/token', { grant_type: 'client_credentials' }, basic);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('account.person account.event.access.readonly');
    expect((await api.get('/api/3/events', String(r.body.access_token))).status).toBe(200);
  });

  it('refusals in RFC 6749’s shape: wrong secret, a scope beyond the client’s, another grant', async () => {
    const bad = await form('/oauth/token', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: 'kps_wrong' });
    expect(bad).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const beyond = await form('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scope: 'account.channel.admit',
    });
    expect(beyond).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect((await form('/oauth/token', { grant_type: 'password', client_id: client.client_id })).body.error).toBe('unsupported_grant_type');
    await expect(oauth().getAccessToken({ grantType: clientCredentials, clientId: 'kpc_nobody', clientSecret: 'x' })).rejects.toBeInstanceOf(
      ResponseError,
    );
  });

  it('revoking a token (SDK) ends it at once; revoking the client (CLI) ends every token it got', async () => {
    const get = () =>
      form('/oauth/token', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).then((r) =>
        String(r.body.access_token),
      );
    const one = await get();
    expect((await api.get('/api/3/people', one)).status).toBe(200);
    await oauth().revokeToken({ authorization: 'Basic eDp4', token: one });
    expect((await api.get('/api/3/people', one)).status).toBe(401);
    const two = await get();
    expect((await api.get('/api/3/people', two)).status).toBe(200);
    d.cli.json('oauth-client', 'revoke', String(client.id));
    expect((await api.get('/api/3/people', two)).status).toBe(401);
    expect(
      (await form('/oauth/token', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret })).status,
    ).toBe(401);
    expect(JSON.stringify(d.cli.json('oauth-client', 'list'))).not.toContain(client.client_secret);
    expect(d.stderr).not.toContain(client.client_secret);
  });
});
