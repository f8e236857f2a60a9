/** OAuth tokens expire: a token issued two hours and a second ago no longer authenticates (a real SQLite file). */
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/application/oauth.js';
import { OAuthClientRepo } from '../../src/storage/oauth-client-repo.js';
import { TokenRepo } from '../../src/storage/token-repo.js';
import { openScratch, type Scratch } from '../helpers/scratch.js';

let s: Scratch;
afterEach(() => s?.close());

describe('OAuth token lifetime', () => {
  it('a token works until its expiry and not after; a plain CLI token never expires', () => {
    const nowMs = Date.now();
    s = openScratch({}, new Date(nowMs).toISOString());
    const { row, secret } = new OAuthClientRepo(s.ctx.store.db).create('script', ['account.person'], '2026-01-01T00:00:00Z');
    const grant = { grant_type: 'client_credentials', client_id: row.client_id, client_secret: secret };
    const fresh = issueToken(s.ctx, grant).access_token;
    s.setNow(new Date(nowMs - 7201_000).toISOString());
    const old = issueToken(s.ctx, grant).access_token;
    const tokens = new TokenRepo(s.ctx.store.db);
    expect(tokens.find(fresh)?.scopes).toEqual(['account.person']);
    expect(tokens.find(old)).toBeUndefined();
    const plain = tokens.create('cli', ['account.person'], '2020-01-01T00:00:00Z').token;
    expect(tokens.find(plain)).toBeDefined();
  });
});
