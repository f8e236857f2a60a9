/** Login and logout. The login is throttled per user name and per address, and each lock is an event. */
import type { FastifyInstance } from 'fastify';
import { checkLogin } from '../application/console-users.js';
import { audit } from '../application/console-reads.js';
import { newEvent, now } from '../storage/new-event.js';
import { AddressThrottle, addressKey, type AddressThrottlePolicy } from '../http/address-throttle.js';
import { closeSession, cookieOptions, LOGIN_CSRF_COOKIE, openSession, randomToken, sameSecret, SESSION_COOKIE, viewerOf } from './auth.js';
import { html } from './html.js';
import { exposureNotice, notice, page } from './layout.js';
import type { WebDeps } from './deps.js';

/** 5 wrong passwords within 15 minutes lock that user name's (or that address's) logins for 15 minutes. */
export const LOGIN_THROTTLE: AddressThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000, blockMs: 15 * 60_000, maxAddresses: 10_000 };

function loginPage(deps: WebDeps, csrf: string, message: string | null, name = '') {
  return page(
    'Log in',
    null,
    html`${exposureNotice(deps)}${message ? notice('error', message) : ''}
      <form method="post" action="login" class="card">
        <input type="hidden" name="_csrf" value="${csrf}" />
        <label for="name">User name</label>
        <input id="name" name="name" type="text" autocomplete="username" required maxlength="64" value="${name}" autofocus />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024" />
        <p><button type="submit">Log in</button></p>
      </form>`,
  );
}

export function registerLogin(app: FastifyInstance, deps: WebDeps): void {
  const byName = new AddressThrottle(LOGIN_THROTTLE);
  const byAddress = new AddressThrottle(LOGIN_THROTTLE);

  app.get('/login', (request, reply) => {
    if (viewerOf(deps.storage().admin, request)) return reply.redirect('doors', 303);
    const csrf = randomToken();
    void reply.setCookie(LOGIN_CSRF_COOKIE, csrf, cookieOptions(deps.tls, 3600));
    return reply.type('text/html; charset=utf-8').send(loginPage(deps, csrf, null).text);
  });

  app.post('/login', { config: { rateLimit: { max: 30, timeWindow: 60_000 } } }, async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const address = addressKey(request.raw.socket.remoteAddress ?? 'unknown');
    const name = String(form.name ?? '')
      .trim()
      .slice(0, 64);
    const retry = (message: string, status: number) => {
      const csrf = randomToken();
      void reply.setCookie(LOGIN_CSRF_COOKIE, csrf, cookieOptions(deps.tls, 3600));
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(loginPage(deps, csrf, message, name).text);
    };
    const cookie = request.cookies[LOGIN_CSRF_COOKIE];
    if (!cookie || !sameSecret(form._csrf, cookie)) return retry('The login form was stale: try again.', 403);
    const key = name.toLowerCase();
    const wait = Math.max(byName.blockedForS(key), byAddress.blockedForS(address));
    if (wait > 0) return retry(`Too many wrong passwords: logins are refused for ${Math.ceil(wait / 60)} more minutes.`, 429);
    const admin = deps.storage().admin;
    const user = await checkLogin(admin, name, String(form.password ?? ''));
    if (!user) {
      for (const [throttle, k, what] of [
        [byName, key, { user_name: name }],
        [byAddress, address, { address }],
      ] as const) {
        if (throttle.failed(k).blockedNow) {
          const label = 'user_name' in what ? `user ${name}` : `address ${address}`;
          deps.log('warn', `console: ${LOGIN_THROTTLE.maxFailures} wrong passwords for ${label}; its logins are refused for 15 minutes`);
          deps.record(
            newEvent(
              'console_login_locked',
              { door_id: null, event_label: `Console logins locked for ${label}`, source: 'console', detail: { ...what, minutes: 15 } },
              now(),
            ),
          );
        }
      }
      return retry('Wrong user name or password.', 401);
    }
    const session = openSession(admin, user.id, deps.sessionHours, address);
    audit(admin, user.name, 'login', null, { address });
    void reply.clearCookie(LOGIN_CSRF_COOKIE, cookieOptions(deps.tls));
    void reply.setCookie(SESSION_COOKIE, session, cookieOptions(deps.tls));
    return reply.redirect('doors', 303);
  });

  app.post('/logout', (request, reply) => {
    const admin = deps.storage().admin;
    const viewer = viewerOf(admin, request);
    // A logout needs the session's CSRF token too: another site must not be able to log an admin out.
    const form = (request.body ?? {}) as Record<string, string>;
    if (viewer && sameSecret(form._csrf, viewer.csrf)) {
      closeSession(admin, request, reply, deps.tls);
      audit(admin, viewer.name, 'logout', null);
    }
    return reply.redirect('login', 303);
  });
}
