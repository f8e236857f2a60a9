/** API tokens: only a SHA-256 of each token is kept; the token itself is shown once, when it is made. */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './database.js';

export interface TokenRow {
  id: number;
  name: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export class TokenRepo {
  constructor(private readonly db: Db) {}

  /** Makes a token; returns it (to be shown once) with its row. */
  create(name: string, scopes: string[], now: string): { token: string; row: TokenRow } {
    const token = `kpd_${randomBytes(32).toString('base64url')}`;
    const id = Number(
      this.db
        .prepare(`INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?)`)
        .run(name, hashToken(token), JSON.stringify(scopes), now).lastInsertRowid,
    );
    return { token, row: { id, name, scopes, created_at: now, last_used_at: null, revoked_at: null } };
  }

  /** An OAuth token: made for a client, good until `expiresAt` (client credentials grant, application/oauth.ts). */
  createForClient(clientId: number, name: string, scopes: string[], now: string, expiresAt: string): { token: string; row: TokenRow } {
    const made = this.create(name, scopes, now);
    this.db.prepare(`UPDATE api_tokens SET expires_at = ?, oauth_client_id = ? WHERE id = ?`).run(expiresAt, clientId, made.row.id);
    return made;
  }

  /** When a token stops working (null: never), and the OAuth client it was issued to. */
  lifetime(id: number): { expires_at: string | null; client_id: string | null; created_at: string } {
    return this.db
      .prepare(
        `SELECT t.expires_at, c.client_id, t.created_at FROM api_tokens t LEFT JOIN oauth_clients c ON c.id = t.oauth_client_id WHERE t.id = ?`,
      )
      .get(id) as { expires_at: string | null; client_id: string | null; created_at: string };
  }

  /** Revokes the token with this value (OAuth's revoke); false when there is none live. */
  revokeValue(token: string, now: string): boolean {
    return (
      this.db.prepare(`UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`).run(now, hashToken(token)).changes === 1
    );
  }

  /** The live token with this value (not revoked, not expired, its OAuth client not revoked), or undefined. */
  find(token: string): TokenRow | undefined {
    const r = this.db
      .prepare(
        `SELECT t.* FROM api_tokens t LEFT JOIN oauth_clients c ON c.id = t.oauth_client_id
         WHERE t.token_hash = ? AND t.revoked_at IS NULL AND c.revoked_at IS NULL
           AND (t.expires_at IS NULL OR t.expires_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`,
      )
      .get(hashToken(token)) as (Omit<TokenRow, 'scopes'> & { scopes: string }) | undefined;
    return r && { ...r, scopes: JSON.parse(r.scopes) as string[] };
  }

  list(): TokenRow[] {
    // Named columns: the hash stays in the database (`token list --json` printed it).
    return (
      this.db.prepare(`SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id`).all() as (Omit<
        TokenRow,
        'scopes'
      > & { scopes: string })[]
    ).map((r) => ({
      ...r,
      scopes: JSON.parse(r.scopes) as string[],
    }));
  }

  revoke(id: number, now: string): boolean {
    return this.db.prepare(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`).run(now, id).changes === 1;
  }

  touch(id: number, now: string): void {
    this.db.prepare(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`).run(now, id);
  }
}
