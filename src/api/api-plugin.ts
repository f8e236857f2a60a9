/**
 * /api/3 on the shared HTTP stack. The Route table (routes.ts, and any other file's Route[] passed in) stays the
 * definition: one catch-all Fastify route dispatches on it, so a new Route drops in without touching this file.
 * The token and the route's scope are checked in onRequest, before Fastify reads a byte of the body: a client
 * without a good token cannot make the controller buffer 64 KiB, and a bad token is throttled per address.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminContext } from '../application/context.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { NewEvent } from '../storage/event-repo.js';
import type { Store } from '../storage/store.js';
import type { TokenRepo, TokenRow } from '../storage/token-repo.js';
import { sendError, toHttpError } from '../http/server.js';
import { ADDRESS_THROTTLE, AddressThrottle, addressKey } from './address-throttle.js';
import { HttpError, httpError, parseJsonBody } from './http.js';
import type { PinProbeGuard } from './pin-probe-guard.js';
import { notFoundRoute, type ChannelCall, type Route } from './routes.js';
import { hasScope } from './scopes.js';

/** What the API needs from the worker that hosts it. */
export interface ApiDeps {
  /** The worker's store, opened on first need; throws a 503 HttpError while it cannot be opened. */
  storage(): { store: Store; admin: AdminContext; tokens: TokenRepo };
  readonly: boolean;
  channels: ChannelCall;
  pinProbes: PinProbeGuard;
  record: (event: NewEvent) => void;
  log: (level: 'error' | 'warn' | 'info', message: string) => void;
}

interface Dispatched {
  route: Route;
  match: RegExpExecArray;
  token: TokenRow;
  query: URLSearchParams;
}

const dispatched = new WeakMap<FastifyRequest, Dispatched>();

/** The caller of a route answered without a token (Route.auth 'none'): no id, no name, no scope. */
const NO_TOKEN = { id: 0, name: '', scopes: [] as string[] } as unknown as TokenRow;

/**
 * The token a request presents: `Bearer <token>`, or HTTP Basic with the token as the user name and any (usually
 * empty) password, as older DoorFlow integrations send it. Basic is as strong as Bearer here: it is the same token.
 */
export function presentedToken(header: string): string | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,2000})$/i.exec(header);
  if (!basic) return null;
  const user = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] ?? '';
  return user === '' ? null : user;
}

/** A body as the handler reads it: OAuth clients send form bodies (RFC 6749), everything else JSON. */
function parseBody(text: string | undefined, contentType: string | undefined): unknown {
  if (text !== undefined && /^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) return Object.fromEntries(new URLSearchParams(text));
  return parseJsonBody(text);
}

/** Registers /api/3 on `app` with `routes`; also answers every other path with DoorFlow's 404 body. */
export function registerApi(app: FastifyInstance, deps: ApiDeps, routes: readonly Route[]): void {
  const badTokens = new AddressThrottle();
  const lastTouched = new Map<number, number>();

  /** A good token always passes; a bad one from an address that sent too many is refused unseen (429). */
  function authenticate(authorization: string | undefined, client: string): TokenRow {
    const presented = presentedToken(authorization ?? '');
    const { tokens } = deps.storage();
    const row = presented === null ? undefined : tokens.find(presented);
    if (!row) {
      const wait = badTokens.blockedForS(client);
      if (wait > 0)
        throw new HttpError(429, {
          error: 'too_many_requests',
          error_description: `too many bad tokens from ${client}; retry in ${wait} s`,
          retry_in: wait,
        });
      if (badTokens.failed(client).blockedNow)
        deps.log(
          'warn',
          `${client}: ${ADDRESS_THROTTLE.maxFailures} bad tokens within a minute; refusing its bad tokens for ${ADDRESS_THROTTLE.blockMs / 1000} s`,
        );
      throw httpError(
        401,
        'invalid_token',
        presented !== null
          ? 'the access token is not valid (unknown or revoked)'
          : 'send Authorization: Bearer <token> (or HTTP Basic with the token as the user name)',
      );
    }
    // last_used_at at most once a minute per token: a busy script must not turn every GET into a write.
    const mono = performance.now();
    if (!deps.readonly && mono - (lastTouched.get(row.id) ?? -Infinity) > 60_000) {
      lastTouched.set(row.id, mono);
      tokens.touch(row.id, toIsoSeconds(Date.now()));
    }
    return row;
  }

  void app.register((api, _opts, done) => {
    // The body is kept as text and parsed as JSON by the handler that asks for it, whatever the Content-Type says
    // (DoorFlow clients are not all careful with it); a body that is not JSON is 400 there.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, parsed) => parsed(null, body));

    api.addHook('onRequest', async (request) => {
      const url = new URL(request.url, 'http://keypadd');
      const path = url.pathname;
      const matching = routes.map((route) => ({ route, match: route.pattern.exec(path) })).filter((x) => x.match !== null);
      if (matching.length === 0) throw notFoundRoute(path);
      const hit = matching.find((x) => x.route.method === request.method);
      if (!hit)
        throw httpError(
          405,
          'method_not_allowed',
          `${request.method} is not allowed on ${path} (allowed: ${matching.map((x) => x.route.method).join(', ')})`,
        );
      // OAuth's token endpoint authenticates the client itself (oauth-routes.ts), so it is answered without a token.
      const token =
        hit.route.auth === 'none' ? NO_TOKEN : authenticate(request.headers.authorization, addressKey(request.raw.socket.remoteAddress ?? 'unknown'));
      if (hit.route.scope && !hasScope(token.scopes, hit.route.scope))
        throw httpError(403, 'forbidden', `this token lacks the ${hit.route.scope} scope`);
      dispatched.set(request, { route: hit.route, match: hit.match!, token, query: url.searchParams });
    });

    const handler = async (request: FastifyRequest) => {
      const { route, match, token, query } = dispatched.get(request)!;
      const raw = match.slice(1) as string[];
      return route.handler({
        admin: deps.storage().admin,
        tokenId: token.id,
        tokenName: token.name,
        scopes: token.scopes,
        query,
        params: raw.map(Number),
        rawParams: raw,
        body: () => Promise.resolve(parseBody(request.body as string | undefined, request.headers['content-type'])),
        channels: deps.channels,
        pinProbes: deps.pinProbes,
        record: deps.record,
        authorization: request.headers.authorization ?? '',
        log: deps.log,
      });
    };
    const respond = async (request: FastifyRequest, reply: FastifyReply) => {
      const answer = await handler(request);
      return reply
        .code(answer.status)
        .headers(answer.headers ?? {})
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(answer.body));
    };
    api.all('/api/3', respond);
    api.all('/api/3/*', respond);
    api.all('/oauth/*', respond);
    done();
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, toHttpError(notFoundRoute(new URL(request.url, 'http://keypadd').pathname), deps.log, '')),
  );
}
