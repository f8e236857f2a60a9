/**
 * DoorFlow's OAuth endpoints, for the client credentials grant only (a controller has no users to send through an
 * authorization page): POST /oauth/token, GET /oauth/token/info, POST /oauth/revoke. Client credentials come in the
 * body or as HTTP Basic (RFC 6749 section 2.3.1).
 */
import { issueToken, OAuthError, revokeToken, tokenInfo, type TokenRequest } from '../application/oauth.js';
import { HttpError } from './http.js';
import type { RequestContext, Route } from './routes.js';

function basicClient(authorization: string): { client_id: string; client_secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,2000})$/i.exec(authorization);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { client_id: decodeURIComponent(decoded.slice(0, colon)), client_secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

async function bodyObject(c: RequestContext): Promise<Record<string, unknown>> {
  const b = await c.body();
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function oauthAnswer<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof OAuthError) throw new HttpError(err.status, { error: err.error, error_description: err.description });
    throw err;
  }
}

export const OAUTH_ROUTES: Route[] = [
  {
    method: 'POST',
    pattern: /^\/oauth\/token\/?$/,
    scope: null,
    auth: 'none',
    handler: async (c) => {
      const body = await bodyObject(c);
      const request: TokenRequest = { ...body, ...(basicClient(c.authorization) ?? {}) };
      const answer = oauthAnswer(() => issueToken(c.admin, request));
      c.log('info', `OAuth token issued to client ${String(request.client_id)} (scopes ${answer.scope})`);
      return { status: 200, body: answer, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/oauth\/token\/info\/?$/,
    scope: null,
    handler: (c) => ({ status: 200, body: tokenInfo(c.admin, c.tokenId, [...c.scopes]) }),
  },
  {
    method: 'POST',
    pattern: /^\/oauth\/revoke\/?$/,
    scope: null,
    auth: 'none',
    handler: async (c) => ({ status: 200, body: revokeToken(c.admin, (await bodyObject(c)).token) }),
  },
];
