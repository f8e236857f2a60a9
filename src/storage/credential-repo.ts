/** SQL for credentials. Values are found by digest; the plaintext of a digest-stored PIN never reaches this file. */
import type { Db } from './database.js';
import { where } from './where.js';

export const CARD_TYPE_ID = 5;
export const PIN_TYPE_ID = 6;
export type CredentialTypeId = typeof CARD_TYPE_ID | typeof PIN_TYPE_ID;

export interface CredentialRow {
  /** Set on rows synced from the upstream (read-only here); absent or null on rows made locally. */
  upstream_id?: string | null;
  id: string;
  person_id: number;
  credential_type_id: CredentialTypeId;
  /** Card number; PIN only under plaintext storage. */
  value: string | null;
  digest: string;
  pin_length: number | null;
  enabled: 0 | 1;
  /** Grants left on a use-limited PIN; null (or absent on older callers) means unlimited. */
  uses_remaining?: number | null;
  /** 1: a person's duress PIN (opens like their PIN and raises a duress alarm); absent or 0 otherwise. */
  duress?: 0 | 1;
  created_at: string;
  updated_at: string;
}

/** CredentialRepo.unusedSince's query (exported for its EXPLAIN QUERY PLAN test). */
export const UNUSED_SINCE_SQL = `SELECT * FROM (
    SELECT c.*, (SELECT max(e.created_at) FROM events e WHERE e.event_type = 'access_granted' AND e.credential_id = c.id) AS last_used
    FROM credentials c WHERE c.enabled = 1 AND c.upstream_id IS NULL)
  WHERE coalesce(last_used, created_at) < ? ORDER BY created_at, id`;

export class CredentialRepo {
  constructor(private readonly db: Db) {}

  insert(c: CredentialRow): void {
    this.db
      .prepare(
        `INSERT INTO credentials (id, person_id, credential_type_id, value, digest, pin_length, enabled, uses_remaining, duress, created_at, updated_at)
         VALUES (@id, @person_id, @credential_type_id, @value, @digest, @pin_length, @enabled, @uses_remaining, @duress, @created_at, @updated_at)`,
      )
      .run({ ...c, uses_remaining: c.uses_remaining ?? null, duress: c.duress ?? 0 });
  }

  get(id: string): CredentialRow | undefined {
    return this.db.prepare(`SELECT * FROM credentials WHERE id = ?`).get(id) as CredentialRow | undefined;
  }

  byDigest(typeId: CredentialTypeId, digest: string): CredentialRow | undefined {
    return this.db.prepare(`SELECT * FROM credentials WHERE credential_type_id = ? AND digest = ?`).get(typeId, digest) as CredentialRow | undefined;
  }

  /** The person's credential of this type: their ordinary one, or (`duress`) their duress PIN. */
  forPerson(personId: number, typeId: CredentialTypeId, duress = false): CredentialRow | undefined {
    return this.db
      .prepare(`SELECT * FROM credentials WHERE person_id = ? AND credential_type_id = ? AND duress = ?`)
      .get(personId, typeId, duress ? 1 : 0) as CredentialRow | undefined;
  }

  list(filter: { personId?: number | undefined; limit: number; offset: number }): CredentialRow[] {
    const w = where([['person_id = ?', filter.personId]]);
    // rowid breaks a tie of created_at (whole seconds) in the order of creation; the id is random and would not.
    return this.db
      .prepare(`SELECT * FROM credentials ${w.sql} ORDER BY created_at, rowid LIMIT ? OFFSET ?`)
      .all(...w.params, filter.limit, filter.offset) as CredentialRow[];
  }

  count(personId?: number): number {
    const w = where([['person_id = ?', personId]]);
    return (this.db.prepare(`SELECT count(*) AS n FROM credentials ${w.sql}`).get(...w.params) as { n: number }).n;
  }

  /** Enabled PINs of each length, for the density guard. */
  activePinCount(length: number): number {
    return (
      this.db
        .prepare(`SELECT count(*) AS n FROM credentials WHERE credential_type_id = ${PIN_TYPE_ID} AND enabled = 1 AND pin_length = ?`)
        .get(length) as { n: number }
    ).n;
  }

  setEnabled(id: string, enabled: boolean, now: string): boolean {
    return this.db.prepare(`UPDATE credentials SET enabled = ?, updated_at = ? WHERE id = ?`).run(enabled ? 1 : 0, now, id).changes === 1;
  }

  /**
   * Enabled credentials made here (synced ones are the upstream's) with no grant since `cutoff`, and if never granted,
   * created before it; `last_used` is the newest grant's time. One lookup per credential in the
   * events_credential_grants index (the partial index needs the event_type literal below).
   */
  unusedSince(cutoff: string): (CredentialRow & { last_used: string | null })[] {
    return this.db.prepare(UNUSED_SINCE_SQL).all(cutoff) as (CredentialRow & { last_used: string | null })[];
  }

  delete(id: string): boolean {
    return this.db.prepare(`DELETE FROM credentials WHERE id = ?`).run(id).changes === 1;
  }
}
