/**
 * Console sessions and the checks every request passes. A session is a random 256-bit id in a cookie (HttpOnly,
 * SameSite=Strict, Secure under TLS, no Max-Age: it ends with the browser too), kept in the database as its hash with
 * an expiry, so logout, `user delete` and `user passwd` revoke it at once. Every POST carries the session's CSRF
 * token in `_csrf` (compared in constant time); the login form, which has no session yet, uses a double-submit
 * cookie. Wrong passwords are counted per user name and per address: 5 in 15 minutes refuse that name's (or that
 * address's) logins for 15 minutes, recorded as console_login_locked.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { toIsoSeconds } from '../core/site-time.js';
import type { ConsoleRole } from '../core/scopes.js';
import { ConsoleRepo } from '../storage/console-repo.js';
import { httpError } from '../http/errors.js';
import type { AdminContext } from '../application/context.js';
import type { Viewer } from './layout.js';

export const SESSION_COOKIE = 'keypadd_session';
export const LOGIN_CSRF_COOKIE = 'keypadd_login';

/** What a route needs: read (every role), write (operator, admin), admin. */
export type Need = 'read' | 'write' | 'admin';

const ALLOWED: Record<Need, readonly ConsoleRole[]> = { read: ['viewer', 'operator', 'admin'], write: ['operator', 'admin'], admin: ['admin'] };

export const mayDo = (role: ConsoleRole, need: Need) => ALLOWED[need].includes(role);

export const randomToken = () => randomBytes(32).toString('base64url');

export function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieOptions(tls: boolean, maxAgeS?: number) {
  return { httpOnly: true, sameSite: 'strict' as const, secure: tls, ...(maxAgeS === undefined ? {} : { maxAge: maxAgeS }) };
}

/** A new session for `userId`; returns its id (for the cookie). */
export function openSession(admin: AdminContext, userId: number, hours: number, address: string): string {
  const id = randomToken();
  const now = admin.now();
  const repo = new ConsoleRepo(admin.store.db);
  // Sessions nobody ends (a browser closed) are swept at the next login, so the table holds only live ones.
  repo.deleteExpiredSessions(toIsoSeconds(now));
  repo.addSession(id, {
    user_id: userId,
    csrf: randomToken(),
    created_at: toIsoSeconds(now),
    expires_at: toIsoSeconds(now + hours * 3_600_000),
    address,
  });
  return id;
}

/** The viewer of this request's session, or null (no cookie, unknown, expired, or its user deleted). */
export function viewerOf(admin: AdminContext, request: FastifyRequest): Viewer | null {
  const id = request.cookies[SESSION_COOKIE];
  if (!id) return null;
  const found = new ConsoleRepo(admin.store.db).session(id, toIsoSeconds(admin.now()));
  return found ? { name: found.user.name, role: found.user.role, csrf: found.session.csrf } : null;
}

export function closeSession(admin: AdminContext, request: FastifyRequest, reply: FastifyReply, tls: boolean): void {
  const id = request.cookies[SESSION_COOKIE];
  if (id) new ConsoleRepo(admin.store.db).deleteSession(id);
  void reply.clearCookie(SESSION_COOKIE, cookieOptions(tls));
}

/** Refuses a POST whose `_csrf` is not the session's (403, nothing done). */
export function checkCsrf(viewer: Viewer, body: unknown): void {
  const given = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)._csrf : undefined;
  if (!sameSecret(given, viewer.csrf))
    throw httpError(403, 'csrf_failed', 'the form is missing its CSRF token or it is stale: reload the page and try again');
}

export function checkRole(viewer: Viewer, need: Need): void {
  if (!mayDo(viewer.role, need))
    throw httpError(403, 'forbidden', `a ${viewer.role} may not do this (it needs ${need === 'admin' ? 'an admin' : 'an operator or admin'})`);
}
