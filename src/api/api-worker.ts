/**
 * The HTTP API (and the console, when enabled), on its own thread with its own database connection: a request's
 * commit (fsync) never runs on the main thread, where it would stall key and Wiegand handling. Door status and
 * remote commands are asked of the main thread by message. Both are served by the shared stack in src/http.
 */
import type { FastifyInstance } from 'fastify';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority, PendingReplies } from '../worker-threads.js';
import type { Config } from '../config/schema.js';
import type { ConfigProvenance } from '../config/origins.js';
import { doctorRunner } from './doctor-run.js';
import { webExposure } from './exposure.js';
import { openStore, type Store } from '../storage/store.js';
import type { AdminContext } from '../application/context.js';
import { TokenRepo } from '../storage/token-repo.js';
import { createHttpServer, isTls, listenOn } from '../http/server.js';
import { HttpError, httpError } from './http.js';
import { ROUTES as CORE_ROUTES, type ChannelCall } from './routes.js';
import { GROUP_ROUTES } from './group-routes.js';
import { NOTIFICATION_ROUTES } from './notification-routes.js';
import { OAUTH_ROUTES } from './oauth-routes.js';
import { SITE_ROUTES } from './site-routes.js';
import { PinProbeGuard } from './pin-probe-guard.js';
import { registerApi } from './api-plugin.js';
import type { FromApi, ToApi } from './protocol.js';
import type { NewEvent } from '../storage/event-repo.js';
import { registerConsole } from '../web/console-plugin.js';
import { FeedHub } from '../web/feed.js';
import { EnrolmentsWaiting } from '../web/enrolments-waiting.js';
import { WEB_ROUTES } from '../web/routes.js';

lowerThreadPriority(10);
/** Every route: the core table and each feature's own (new features add a file exporting Route[] and join it here). */
const ROUTES = [...CORE_ROUTES, ...GROUP_ROUTES, ...NOTIFICATION_ROUTES, ...SITE_ROUTES, ...OAUTH_ROUTES];
const { config, readonly, provenance } = workerData as { config: Config; readonly: boolean; provenance: ConfigProvenance };
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

// ---- channel calls to the main thread ----
const calls = new PendingReplies<unknown>();
const channels: ChannelCall = (call) => calls.ask((id) => send({ type: 'channel', id, call }));

// ---- events of the API's own, stored by the daemon's writer ----
const record = (event: NewEvent) => send({ type: 'event', event });

const servers: FastifyInstance[] = [];

port.on('message', (m: ToApi) => {
  if (m.type === 'channel_result') {
    if (m.ok) calls.answer(m.id, m.result);
    else calls.refuse(m.id, new HttpError(m.status, m.body));
  } else if (m.type === 'stop') {
    void Promise.allSettled(servers.map((s) => s.close())).then(() => {
      opened?.store.close();
      port.close();
    });
  }
});

async function serveApi(): Promise<void> {
  try {
    const app = createHttpServer({ certFile: config.api.cert_file, keyFile: config.api.key_file, log });
    servers.push(app);
    registerApi(app, { storage, readonly, channels, pinProbes: new PinProbeGuard(), record, log }, ROUTES);
    send({ type: 'listening', url: await listenOn(app, config.api.listen, isTls(config.api.cert_file, config.api.key_file)) });
  } catch (err) {
    send({ type: 'failed', message: `cannot listen on ${config.api.listen}: ${(err as Error).message}` });
  }
}

async function serveWeb(): Promise<void> {
  const tls = isTls(config.web.tls.cert_file, config.web.tls.key_file);
  try {
    const app = createHttpServer({ certFile: config.web.tls.cert_file, keyFile: config.web.tls.key_file, log });
    servers.push(app);
    const feed = new FeedHub(() => storage().admin);
    app.addHook('onClose', (_app, done) => {
      feed.close();
      done();
    });
    registerConsole(
      app,
      {
        storage,
        doors: (call) => channels(call.op === 'command' ? { ...call, id: call.command.door } : call),
        record,
        log,
        tls,
        exposure: webExposure(config),
        sessionHours: config.web.session_hours,
        feed,
        enrolments: new EnrolmentsWaiting(),
        provenance,
        doctor: doctorRunner(config, provenance),
      },
      WEB_ROUTES,
    );
    send({ type: 'web_listening', url: await listenOn(app, config.web.listen, tls) });
  } catch (err) {
    send({ type: 'failed', message: `cannot listen on ${config.web.listen}: ${(err as Error).message}` });
  }
}

if (config.api.enabled) void serveApi();
if (config.web.enabled) void serveWeb();
