/**
 * The admin console on the shared HTTP stack: cookies, form bodies, compression (gzip), security headers (a CSP with no inline script
 * or style, frame-ancestors 'none'), a rate limit on the login, the static files (htmx from its npm package, no CDN;
 * the live feed is static/feed.js on the browser's own EventSource, which resends Last-Event-ID on a reconnect), and every page of the WebRoute tables. Each page checks the session, then the role;
 * each POST its CSRF token, before it runs. An error is a page saying what was wrong, never a stack.
 */
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHttpError } from '../http/server.js';
import { checkCsrf, checkRole, viewerOf } from './auth.js';
import type { WebContext, WebDeps, WebRoute } from './deps.js';
import { Html, html } from './html.js';
import { notice, page, type Viewer } from './layout.js';
import { registerLogin } from './pages-login.js';

const require = createRequire(import.meta.url);
const STATIC_DIRS = [fileURLToPath(new URL('../../src/web/static/', import.meta.url)), dirname(require.resolve('htmx.org/dist/htmx.min.js'))];
const STATIC_FILES = new Set(['/console.css', '/feed.js', '/copy.js', '/htmx.min.js']);

export function registerConsole(app: FastifyInstance, deps: WebDeps, routes: readonly WebRoute[]): void {
  void app.register(cookie);
  void app.register(formbody, { bodyLimit: 64 * 1024 });
  void app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: deps.tls ? { maxAge: 31_536_000 } : false,
    referrerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
  });
  void app.register(rateLimit, { global: false });
  // Pages and static files gzipped over the wire (a phone at the door on a weak signal); not brotli, whose default
  // quality costs a Pi's CPU far more for little gain. Registered before the static files so they are compressed too.
  void app.register(compress, { encodings: ['gzip', 'deflate'], threshold: 1024 });
  void app.register(fastifyStatic, {
    root: STATIC_DIRS,
    prefix: '/static/',
    allowedPath: (path) => STATIC_FILES.has(path),
    index: false,
    list: false,
    maxAge: 3_600_000,
  });

  void app.register((scope, _opts, done) => {
    registerLogin(scope, deps);
    scope.get('/', (_request, reply) => reply.redirect('doors', 303));
    for (const route of routes) {
      scope.route({
        method: route.method,
        url: route.url,
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const admin = deps.storage().admin;
          const viewer = viewerOf(admin, request);
          if (!viewer) {
            if (route.method === 'GET' && !request.headers['hx-request']) return reply.redirect(relativeTo(request.url, 'login'), 303);
            return reply
              .code(401)
              .type('text/html; charset=utf-8')
              .send(page('Logged out', null, notice('error', 'Your session ended: log in again.')).text);
          }
          const form = route.method === 'POST' ? ((request.body ?? {}) as Record<string, string>) : {};
          if (route.method === 'POST') checkCsrf(viewer, form);
          checkRole(viewer, route.need);
          const c: WebContext = {
            deps,
            admin,
            viewer,
            request,
            reply,
            form,
            query: new URL(request.url, 'http://keypadd').searchParams,
            source: `console:${viewer.name}`,
          };
          const answer = await route.handler(c);
          if (answer instanceof Html) return reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(answer.text);
          return answer;
        },
      });
    }
    scope.setErrorHandler((err, request, reply) => {
      const e = toHttpError(err, deps.log, `console ${request.method} ${request.url}`);
      const body = e.body as { error_description?: string; errors?: Record<string, string[]> };
      const text = body.errors
        ? Object.entries(body.errors)
            .map(([field, messages]) => `${field}: ${messages.join('; ')}`)
            .join('\n')
        : (body.error_description ?? 'The request failed.');
      const viewer: Viewer | null = safeViewer(deps, request);
      return reply
        .code(e.status)
        .type('text/html; charset=utf-8')
        .send(
          page(
            e.status === 403 ? 'Not allowed' : 'Not done',
            viewer,
            html`${notice('error', text)}
              <p><a href="doors">Back to the doors</a></p>`,
          ).text,
        );
    });
    done();
  });

  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(page('Not found', null, html`<p><a href="doors">Doors</a></p>`).text),
  );
}

function safeViewer(deps: WebDeps, request: FastifyRequest): Viewer | null {
  try {
    return viewerOf(deps.storage().admin, request);
  } catch {
    return null;
  }
}

/** A relative URL from the request's own path to a top-level page (the console may sit under any base path). */
function relativeTo(url: string, target: string): string {
  const depth = new URL(url, 'http://keypadd').pathname.split('/').length - 2;
  return '../'.repeat(Math.max(0, depth)) + target;
}
