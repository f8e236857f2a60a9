/** OAuth clients for the client credentials grant: only a SHA-256 of each secret is kept; the secret is shown once. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from './database.js';
import { hashToken } from './token-repo.js';

export interface OAuthClientRow {
  id: number;
  client_id: string;
  name: string;
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
}

type Raw = Omit<OAuthClientRow, 'scopes'> & { scopes: string; secret_hash: string };
const row = ({ secret_hash: _hash, ...r }: Raw): OAuthClientRow => ({ ...r, scopes: JSON.parse(r.scopes) as string[] });

export class OAuthClientRepo {
  constructor(private readonly db: Db) {}

  create(name: string, scopes: string[], now: string): { row: OAuthClientRow; secret: string } {
    const clientId = `kpc_${randomBytes(12).toString('base64url')}`;
    const secret = `kps_${randomBytes(32).toString('base64url')}`;
    const id = Number(
      this.db
        .prepare(`INSERT INTO oauth_clients (client_id, secret_hash, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)`)
        .run(clientId, hashToken(secret), name, JSON.stringify(scopes), now).lastInsertRowid,
    );
    return { row: { id, client_id: clientId, name, scopes, created_at: now, revoked_at: null }, secret };
  }

  /** The live client with this id and secret (compared in constant time), or undefined. */
  authenticate(clientId: string, secret: string): OAuthClientRow | undefined {
    const r = this.db.prepare(`SELECT * FROM oauth_clients WHERE client_id = ? AND revoked_at IS NULL`).get(clientId) as Raw | undefined;
    const given = Buffer.from(hashToken(secret), 'hex');
    // A hash is compared even for an unknown client, so the time taken does not say which client ids exist.
    const kept = Buffer.from(r?.secret_hash ?? hashToken(''), 'hex');
    return timingSafeEqual(given, kept) && r ? row(r) : undefined;
  }

  list(): OAuthClientRow[] {
    return (this.db.prepare(`SELECT * FROM oauth_clients ORDER BY id`).all() as Raw[]).map(row);
  }

  /** Revokes the client; every token issued to it stops working at once (TokenRepo.find checks the client). */
  revoke(id: number, now: string): boolean {
    return this.db.prepare(`UPDATE oauth_clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`).run(now, id).changes === 1;
  }
}
