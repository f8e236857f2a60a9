/**
 * OAuth 2.0 client credentials (RFC 6749 section 4.4), as DoorFlow's /oauth endpoints: a script trades the client id
 * and secret made with `keypadd oauth-client add` for a bearer token that carries the scopes it asked for (at most the
 * client's) and expires after TOKEN_LIFETIME_S. Errors are RFC 6749's ({"error": "invalid_client"} ...).
 */
import { toIsoSeconds } from '../core/site-time.js';
import { OAuthClientRepo } from '../storage/oauth-client-repo.js';
import { TokenRepo } from '../storage/token-repo.js';
import type { AdminContext } from './context.js';

/** Two hours, as DoorFlow's tokens. */
export const TOKEN_LIFETIME_S = 7200;

export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
  ) {
    super(description);
  }
}

export interface TokenRequest {
  grant_type?: unknown;
  client_id?: unknown;
  client_secret?: unknown;
  scope?: unknown;
}

export function issueToken(ctx: AdminContext, req: TokenRequest) {
  if (req.grant_type !== 'client_credentials')
    throw new OAuthError(
      400,
      'unsupported_grant_type',
      'grant_type: only client_credentials is offered (make a client with keypadd oauth-client add)',
    );
  if (typeof req.client_id !== 'string' || typeof req.client_secret !== 'string')
    throw new OAuthError(401, 'invalid_client', 'client_id and client_secret are required (in the body, or as HTTP Basic)');
  const client = new OAuthClientRepo(ctx.store.db).authenticate(req.client_id, req.client_secret);
  if (!client) throw new OAuthError(401, 'invalid_client', 'unknown client, wrong secret, or revoked');
  const asked = typeof req.scope === 'string' && req.scope.trim() !== '' ? [...new Set(req.scope.trim().split(/\s+/))] : client.scopes;
  // A write scope includes its .readonly twin (as the API's scope check has it): a client may ask for the lesser one.
  const beyond = asked.filter(
    (s) => !client.scopes.includes(s) && !(s.endsWith('.readonly') && client.scopes.includes(s.slice(0, -'.readonly'.length))),
  );
  if (beyond.length > 0)
    throw new OAuthError(400, 'invalid_scope', `scope: this client may not have ${beyond.join(' ')} (it may have ${client.scopes.join(' ')})`);
  const now = ctx.now();
  const { token } = new TokenRepo(ctx.store.db).createForClient(
    client.id,
    `oauth:${client.name}`,
    asked,
    toIsoSeconds(now),
    toIsoSeconds(now + TOKEN_LIFETIME_S * 1000),
  );
  return { access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, scope: asked.join(' '), created_at: Math.floor(now / 1000) };
}

/** What GET /oauth/token/info says of the token presented (Doorkeeper's shape, as DoorFlow's). */
export function tokenInfo(ctx: AdminContext, tokenId: number, scopes: string[]) {
  const t = new TokenRepo(ctx.store.db).lifetime(tokenId);
  const expiresIn = t.expires_at === null ? null : Math.max(0, Math.round((Date.parse(t.expires_at) - ctx.now()) / 1000));
  return {
    resource_owner_id: null,
    scope: scopes,
    expires_in: expiresIn,
    application: t.client_id === null ? null : { uid: t.client_id },
    created_at: Math.floor(Date.parse(t.created_at) / 1000),
  };
}

/** RFC 7009: revoking answers alike whether or not the token existed. */
export function revokeToken(ctx: AdminContext, token: unknown): Record<string, never> {
  if (typeof token === 'string' && token !== '') new TokenRepo(ctx.store.db).revokeValue(token, toIsoSeconds(ctx.now()));
  return {};
}
