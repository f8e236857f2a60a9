/**
 * Console users, their sessions and the console's audit rows. A session id is kept only as its SHA-256 (like a
 * token): whoever copies the database opens no session with it. Sessions go with their user (ON DELETE CASCADE).
 */
import { createHash } from 'node:crypto';
import type { Db } from './database.js';

export interface ConsoleUserRow {
  id: number;
  name: string;
  role: 'admin' | 'operator' | 'viewer';
  password_hash: string;
  created_at: string;
  password_changed_at: string;
}

export interface ConsoleSessionRow {
  user_id: number;
  csrf: string;
  created_at: string;
  expires_at: string;
  address: string | null;
}

export interface AuditRow {
  id: number;
  at: string;
  user_name: string;
  action: string;
  target: string | null;
  detail: string | null;
}

export const hashSessionId = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

export class ConsoleRepo {
  constructor(private readonly db: Db) {}

  addUser(name: string, role: ConsoleUserRow['role'], passwordHash: string, now: string): ConsoleUserRow {
    const id = Number(
      this.db
        .prepare(`INSERT INTO console_users (name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)`)
        .run(name, role, passwordHash, now, now).lastInsertRowid,
    );
    return this.userById(id)!;
  }

  userByName(name: string): ConsoleUserRow | undefined {
    return this.db.prepare(`SELECT * FROM console_users WHERE name = ?`).get(name) as ConsoleUserRow | undefined;
  }

  userById(id: number): ConsoleUserRow | undefined {
    return this.db.prepare(`SELECT * FROM console_users WHERE id = ?`).get(id) as ConsoleUserRow | undefined;
  }

  users(): ConsoleUserRow[] {
    return this.db.prepare(`SELECT * FROM console_users ORDER BY name`).all() as ConsoleUserRow[];
  }

  deleteUser(id: number): boolean {
    return this.db.prepare(`DELETE FROM console_users WHERE id = ?`).run(id).changes === 1;
  }

  /** A new password; every session of the user ends with it. */
  setPassword(id: number, passwordHash: string, now: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE console_users SET password_hash = ?, password_changed_at = ? WHERE id = ?`).run(passwordHash, now, id);
      this.db.prepare(`DELETE FROM console_sessions WHERE user_id = ?`).run(id);
    })();
  }

  addSession(sessionId: string, row: ConsoleSessionRow): void {
    this.db
      .prepare(`INSERT INTO console_sessions (id_hash, user_id, csrf, created_at, expires_at, address) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(hashSessionId(sessionId), row.user_id, row.csrf, row.created_at, row.expires_at, row.address);
  }

  /** The live session with this id and its user; an expired one is deleted and not returned. */
  session(sessionId: string, now: string): { session: ConsoleSessionRow; user: ConsoleUserRow } | undefined {
    const hash = hashSessionId(sessionId);
    const s = this.db.prepare(`SELECT user_id, csrf, created_at, expires_at, address FROM console_sessions WHERE id_hash = ?`).get(hash) as
      ConsoleSessionRow | undefined;
    if (!s) return undefined;
    if (s.expires_at <= now) {
      this.db.prepare(`DELETE FROM console_sessions WHERE id_hash = ?`).run(hash);
      return undefined;
    }
    const user = this.userById(s.user_id);
    return user && { session: s, user };
  }

  deleteSession(sessionId: string): void {
    this.db.prepare(`DELETE FROM console_sessions WHERE id_hash = ?`).run(hashSessionId(sessionId));
  }

  deleteExpiredSessions(now: string): number {
    return this.db.prepare(`DELETE FROM console_sessions WHERE expires_at <= ?`).run(now).changes;
  }

  audit(userName: string, action: string, target: string | null, detail: Record<string, unknown> | null, now: string): void {
    this.db
      .prepare(`INSERT INTO console_audit (at, user_name, action, target, detail) VALUES (?, ?, ?, ?, ?)`)
      .run(now, userName, action, target, detail === null ? null : JSON.stringify(detail));
  }

  auditRows(limit: number): AuditRow[] {
    return this.db.prepare(`SELECT * FROM console_audit ORDER BY id DESC LIMIT ?`).all(limit) as AuditRow[];
  }
}
