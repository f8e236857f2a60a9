/**
 * The doors' one read: the facts for a presented PIN or card, by its keyed digest, on the main thread (an indexed
 * lookup costs a few microseconds; WAL readers never wait for the writer). Card numbers arrive canonical from the
 * readers (drivers/door-hardware.ts CardReader). A lookup that throws (a damaged index, an I/O error) is reported
 * once per episode, and counted as storage trouble until one works again.
 */
import type { AccessFacts, CredentialKind } from '../core/decision.js';
import type { Logger } from '../log.js';
import { AccessRepo } from './access-repo.js';
import type { Store } from './store.js';

export class CredentialLookup {
  private access: AccessRepo;
  /** Since when (ms epoch) lookups have failed, and why; null while they work. */
  failing: { since: number; message: string } | null = null;

  constructor(
    private store: Store,
    /** Now, as stored times are written ("2026-01-15T09:00:00Z"), to trim ended reservations. */
    private readonly nowIso: () => string,
    private readonly log: Logger,
  ) {
    this.access = new AccessRepo(store.db);
  }

  /** Looks up in another store from now on (the real file, after deciding from a copy in memory). */
  use(store: Store): void {
    this.store = store;
    this.access = new AccessRepo(store.db);
  }

  lookup(kind: CredentialKind, value: string): AccessFacts | null {
    return this.access.lookup(kind, this.store.digest(value), this.nowIso());
  }

  /** A person's own facts for a remote admission (admit_person); null when there is no such person. */
  personFacts(personId: number): AccessFacts | null {
    return this.access.personFacts(personId, this.nowIso());
  }

  /** The door's report after each lookup: null when it worked, the error when storage failed. One log line an episode. */
  report(err: Error | null): void {
    if (err === null) {
      if (this.failing) this.log.warn(`credential lookups work again (they failed for ${Math.round((Date.now() - this.failing.since) / 1000)} s)`);
      this.failing = null;
      return;
    }
    if (this.failing) return;
    const code = (err as { code?: string }).code;
    this.failing = { since: Date.now(), message: `${err.message}${code ? ` (${code})` : ''}` };
    this.log.error(`credential lookup failed: ${this.failing.message}; every credential is refused (storage_error) until the database answers`);
  }
}
