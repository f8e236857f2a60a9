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

  /** The live token with this value, or undefined. */
  find(token: string): TokenRow | undefined {
    const r = this.db.prepare(`SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`).get(hashToken(token)) as
      (Omit<TokenRow, 'scopes'> & { scopes: string }) | undefined;
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
