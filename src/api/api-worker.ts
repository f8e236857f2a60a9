/**
 * The HTTP API, on its own thread with its own database connection: a request's commit (fsync) never runs on the
 * main thread, where it would stall key and Wiegand handling. Door status and remote commands are asked of the
 * main thread by message. Tokens are checked by hash; repeated bad tokens from one address are throttled.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority, PendingReplies } from '../worker-threads.js';
import { RefusedError } from '../application/errors.js';
import type { Config } from '../config/schema.js';
import { openStore, type Store } from '../storage/store.js';
import type { AdminContext } from '../application/context.js';
import { TokenRepo, type TokenRow } from '../storage/token-repo.js';
import { toIsoSeconds } from '../core/site-time.js';
import { fromRefusal, HttpError, httpError, readJson, sendJson } from './http.js';
import { GROUP_ROUTES } from './group-routes.js';
import { NOTIFICATION_ROUTES } from './notification-routes.js';
import { OAUTH_ROUTES } from './oauth-routes.js';
import { SITE_ROUTES } from './site-routes.js';
import { notFoundRoute, ROUTES as CORE_ROUTES, type ChannelCall } from './routes.js';
import { ADDRESS_THROTTLE, AddressThrottle, addressKey } from './address-throttle.js';
import { PinProbeGuard } from './pin-probe-guard.js';
import { hasScope } from './scopes.js';
import type { FromApi, ToApi } from './protocol.js';
import type { NewEvent } from '../storage/event-repo.js';

lowerThreadPriority(10);
/** Every route: the core table and each feature's own (new features add a file exporting Route[] and join it here). */
const ROUTES = [...CORE_ROUTES, ...GROUP_ROUTES, ...NOTIFICATION_ROUTES, ...SITE_ROUTES, ...OAUTH_ROUTES];
const { config, readonly } = workerData as { config: Config; readonly: boolean };
const port = parentPort!;
const send = (m: FromApi) => port.postMessage(m);
const log = (level: 'error' | 'warn' | 'info', message: string) => send({ type: 'log', level, message });

let opened: { store: Store; admin: AdminContext; tokens: TokenRepo } | null = null;

/**
 * The store, opened on first need and again after a failure: a disk too full for SQLite's -shm file lets the daemon
 * start from a copy in memory, and the API answers 503 until the file opens, instead of failing to start.
 */
function storage(): { store: Store; admin: AdminContext; tokens: TokenRepo } {
  if (opened) return opened;
  try {
    const store = openStore(config.data_dir, process.env, config.pin_key_file, { alreadyChecked: true, readonly });
    opened = { store, admin: { store, config, now: Date.now }, tokens: new TokenRepo(store.db) };
    return opened;
  } catch (err) {
    throw httpError(503, 'service_unavailable', `the controller's database cannot be opened now (${(err as Error).message}); the door still decides`);
  }
}

// ---- throttling of bad tokens, per client address (a /64 for IPv6) ----
const badTokens = new AddressThrottle();

// ---- channel calls to the main thread ----
const calls = new PendingReplies<unknown>();
const channels: ChannelCall = (call) => calls.ask((id) => send({ type: 'channel', id, call }));

// ---- events of the API's own, stored by the daemon's writer ----
const pinProbes = new PinProbeGuard();
const record = (event: NewEvent) => send({ type: 'event', event });

port.on('message', (m: ToApi) => {
  if (m.type === 'channel_result') {
    if (m.ok) calls.answer(m.id, m.result);
    else calls.refuse(m.id, new HttpError(m.status, m.body));
  } else if (m.type === 'stop') {
    server.close(() => {
      opened?.store.close();
      port.close();
    });
    server.closeAllConnections?.();
  }
});

const lastTouched = new Map<number, number>();

/**
 * The token a request presents: `Bearer <token>`, or HTTP Basic with the token as the user name and any (usually
 * empty) password, as older DoorFlow integrations send it. Basic is as strong as Bearer here: it is the same token.
 */
function presentedToken(header: string): string | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,2000})$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const user = decoded.split(':')[0] ?? '';
  return user === '' ? null : user;
}

/** A good token always passes; a bad one from an address that sent too many is refused unseen (429). */
function authenticate(req: IncomingMessage, client: string): TokenRow {
  const presented = presentedToken(req.headers.authorization ?? '');
  const m = presented === null ? null : [presented, presented];
  const { tokens } = storage();
  const row = m ? tokens.find(m[1]!) : undefined;
  if (!row) {
    const wait = badTokens.blockedForS(client);
    if (wait > 0)
      throw new HttpError(429, {
        error: 'too_many_requests',
        error_description: `too many bad tokens from ${client}; retry in ${wait} s`,
        retry_in: wait,
      });
    if (badTokens.failed(client).blockedNow) {
      log(
        'warn',
        `${client}: ${ADDRESS_THROTTLE.maxFailures} bad tokens within a minute; refusing its bad tokens for ${ADDRESS_THROTTLE.blockMs / 1000} s`,
      );
    }
    throw httpError(
      401,
      'invalid_token',
      m ? 'the access token is not valid (unknown or revoked)' : 'send Authorization: Bearer <token> (or HTTP Basic with the token as the user name)',
    );
  }
  // last_used_at at most once a minute per token: a busy script must not turn every GET into a write.
  const mono = performance.now();
  if (!readonly && mono - (lastTouched.get(row.id) ?? -Infinity) > 60_000) {
    lastTouched.set(row.id, mono);
    tokens.touch(row.id, toIsoSeconds(Date.now()));
  }
  return row;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const client = addressKey(req.socket.remoteAddress ?? 'unknown');
  const url = new URL(req.url ?? '/', 'http://keypadd');
  const path = url.pathname;
  const matching = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m !== null);
  if (matching.length === 0) throw notFoundRoute(path);
  const hit = matching.find((x) => x.r.method === req.method);
  if (!hit)
    throw httpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path} (allowed: ${matching.map((x) => x.r.method).join(', ')})`);
  const token = hit.r.auth === 'none' ? { id: 0, name: '', scopes: [] as string[] } : authenticate(req, client);
  if (hit.r.scope && !hasScope(token.scopes, hit.r.scope)) throw httpError(403, 'forbidden', `this token lacks the ${hit.r.scope} scope`);
  const raw = hit.m!.slice(1);
  const answer = await hit.r.handler({
    admin: storage().admin,
    tokenId: token.id,
    tokenName: token.name,
    query: url.searchParams,
    params: raw.map(Number),
    rawParams: raw,
    body: () => readJson(req),
    channels,
    pinProbes,
    record,
    authorization: req.headers.authorization ?? '',
    scopes: token.scopes,
    log,
  });
  sendJson(res, answer.status, answer.body, answer.headers);
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  handle(req, res).catch((err: unknown) => {
    let e: HttpError;
    if (err instanceof HttpError) e = err;
    else if (err instanceof RefusedError) e = fromRefusal(err);
    else if (/^SQLITE_READONLY/.test((err as { code?: string }).code ?? '')) {
      e = httpError(
        503,
        'service_unavailable',
        'the controller cannot save changes now: its data dir is read-only (the door still decides); see its status',
      );
    } else {
      log('error', `${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      e = httpError(500, 'internal_error', 'the controller failed to answer; see its log');
    }
    const retryIn = (e.body as { retry_in?: unknown } | null)?.retry_in;
    if (!res.headersSent)
      sendJson(res, e.status, e.body, e.status === 429 ? { 'Retry-After': String(typeof retryIn === 'number' ? retryIn : 60) } : {});
    else res.end();
  });
}

const tls = config.api.cert_file && config.api.key_file ? { cert: readFileSync(config.api.cert_file), key: readFileSync(config.api.key_file) } : null;
const server = tls ? createHttps(tls, onRequest) : createHttp(onRequest);
server.requestTimeout = 30_000;
const [, host, portText] = /^\[?(.*?)\]?:(\d+)$/.exec(config.api.listen)!;
server.on('error', (err) => send({ type: 'failed', message: `cannot listen on ${config.api.listen}: ${err.message}` }));
server.listen(Number(portText), host, () => {
  const a = server.address();
  send({
    type: 'listening',
    url: `${tls ? 'https' : 'http'}://${config.api.listen.replace(/:\d+$/, '')}:${typeof a === 'object' && a ? a.port : portText}`,
  });
});
