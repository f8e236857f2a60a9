/**
 * Console users: add, list, delete, change a password, and check one at login. Passwords are hashed with scrypt
 * (node:crypto) as scrypt$N$r$p$salt$hash; N = 2^15, r = 8 (32 MiB, about 0.1 s on a PC and under a second on a Pi
 * Zero 2: the most a 512 MB board can spend per login without being starved by a burst of them). The CLI and the
 * console use these same functions; each change is an audit row naming who made it.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { controlCharProblem } from '../core/text.js';
import { isConsoleRole, CONSOLE_ROLES, type ConsoleRole } from '../core/scopes.js';
import { ConsoleRepo, type ConsoleUserRow } from '../storage/console-repo.js';
import { nowIso, type AdminContext } from './context.js';
import { notFound, Problems, RefusedError } from './errors.js';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAXMEM = 64 * 1024 * 1024;
export const MIN_PASSWORD = 10;
const MAX_PASSWORD = 1024;

/** A user as shown: never the hash. */
export interface ConsoleUserView {
  id: number;
  name: string;
  role: ConsoleRole;
  created_at: string;
  password_changed_at: string;
}

const view = (u: ConsoleUserRow): ConsoleUserView => ({
  id: u.id,
  name: u.name,
  role: u.role,
  created_at: u.created_at,
  password_changed_at: u.password_changed_at,
});

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `password` matches `stored`; off the caller's thread (libuv's pool), in constant time for the comparison. */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return Promise.resolve(false);
  const expected = Buffer.from(hash, 'base64');
  return new Promise((resolve) =>
    scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM }, (err, key) =>
      resolve(!err && timingSafeEqual(key, expected)),
    ),
  );
}

/** A hash of a random password: a login for an unknown name spends the same time as one for a known name. */
let decoy: string | undefined;
const DECOY = () => (decoy ??= hashPassword(randomBytes(24).toString('base64')));

function checkPassword(password: string, problems: Problems): void {
  if (password.length < MIN_PASSWORD) problems.add('password', `must be at least ${MIN_PASSWORD} characters`);
  if (password.length > MAX_PASSWORD) problems.add('password', `must be at most ${MAX_PASSWORD} characters`);
  const text = controlCharProblem(password);
  if (text) problems.add('password', text);
}

export function addConsoleUser(ctx: AdminContext, input: { name: string; role: string; password: string }, by: string): ConsoleUserView {
  const problems = new Problems();
  const name = input.name.trim();
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) problems.add('name', 'must be 1-64 letters, digits or . _ @ -');
  const text = controlCharProblem(input.name);
  if (text) problems.add('name', text);
  if (!isConsoleRole(input.role)) problems.add('role', `must be one of ${CONSOLE_ROLES.join(', ')}`);
  checkPassword(input.password, problems);
  problems.throwIfAny();
  const repo = new ConsoleRepo(ctx.store.db);
  if (repo.userByName(name)) throw new RefusedError('validation', { name: [`a console user named ${name} already exists`] });
  const now = nowIso(ctx);
  const row = repo.addUser(name, input.role as ConsoleRole, hashPassword(input.password), now);
  repo.audit(by, 'user.add', `user:${row.name}`, { role: row.role }, now);
  return view(row);
}

export const listConsoleUsers = (ctx: AdminContext): ConsoleUserView[] => new ConsoleRepo(ctx.store.db).users().map(view);

function userNamed(repo: ConsoleRepo, name: string): ConsoleUserRow {
  const row = repo.userByName(name.trim());
  if (!row) throw notFound('name', `no console user named ${name}`);
  return row;
}

export function deleteConsoleUser(ctx: AdminContext, name: string, by: string): ConsoleUserView {
  const repo = new ConsoleRepo(ctx.store.db);
  const row = userNamed(repo, name);
  repo.deleteUser(row.id);
  repo.audit(by, 'user.delete', `user:${row.name}`, null, nowIso(ctx));
  return view(row);
}

/** A new password for `name`; every session of theirs ends. */
export function setConsolePassword(ctx: AdminContext, name: string, password: string, by: string): ConsoleUserView {
  const problems = new Problems();
  checkPassword(password, problems);
  problems.throwIfAny();
  const repo = new ConsoleRepo(ctx.store.db);
  const row = userNamed(repo, name);
  const now = nowIso(ctx);
  repo.setPassword(row.id, hashPassword(password), now);
  repo.audit(by, 'user.passwd', `user:${row.name}`, null, now);
  return view(repo.userById(row.id)!);
}

/** The user whose name and password these are, or null; takes as long for an unknown name as for a wrong password. */
export async function checkLogin(ctx: AdminContext, name: string, password: string): Promise<ConsoleUserView | null> {
  if (name.length > 64 || password.length > MAX_PASSWORD) return null;
  const row = new ConsoleRepo(ctx.store.db).userByName(name.trim());
  const good = await verifyPassword(password, row?.password_hash ?? DECOY());
  return row && good ? view(row) : null;
}
