/**
 * Credentials nobody uses any more (issue 20): `credential expire-unused --days N` disables every PIN and card with no
 * grant in N days (and, if never granted, made more than N days ago), each with a credential_expired event in the
 * same commit, so a disable is never without its record. Synced credentials are left to the upstream that owns them.
 */
import { toIsoSeconds } from '../core/site-time.js';
import { CredentialRepo, PIN_TYPE_ID } from '../storage/credential-repo.js';
import { EventRepo } from '../storage/event-repo.js';
import { newEvent, now } from '../storage/new-event.js';
import type { AdminContext } from './context.js';
import { invalid } from './errors.js';

const DAY_MS = 86_400_000;

export interface UnusedCredential {
  credential_id: string;
  person_id: number;
  kind: 'PIN' | 'Card';
  /** The newest grant's time, or null when it was never used (as far as the kept events tell). */
  last_used: string | null;
  created_at: string;
}

export interface ExpiryResult {
  /** Grants since this time count as use. */
  cutoff: string;
  dry_run: boolean;
  /** Disabled (or, in a dry run, that would be). */
  credentials: UnusedCredential[];
}

export function expireUnused(ctx: AdminContext, options: { days: number; dryRun?: boolean; source?: string }): ExpiryResult {
  const { days } = options;
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw invalid('days', 'must be a whole number of days from 1 to 36500');
  // "Last used" is read from the event table, which keeps retention_days: beyond that, a credential used within the
  // window would look unused and be disabled wrongly.
  const kept = ctx.config.events.retention_days;
  if (days > kept)
    throw invalid('days', `must be at most events.retention_days (${kept}): older grants are pruned, so use beyond that cannot be told`);
  const at = now();
  const cutoff = toIsoSeconds(ctx.now() - days * DAY_MS);
  const repo = new CredentialRepo(ctx.store.db);
  const events = new EventRepo(ctx.store.db);
  const run = () => {
    const found = repo.unusedSince(cutoff).map((r): UnusedCredential => ({
      credential_id: r.id,
      person_id: r.person_id,
      kind: r.credential_type_id === PIN_TYPE_ID ? 'PIN' : 'Card',
      last_used: r.last_used,
      created_at: r.created_at,
    }));
    if (options.dryRun) return found;
    const time = toIsoSeconds(ctx.now());
    for (const c of found) {
      repo.setEnabled(c.credential_id, false, time);
      const since = c.last_used === null ? 'never used' : `last used ${c.last_used}`;
      events.append(
        newEvent(
          'credential_expired',
          {
            door_id: null,
            event_label: `${c.kind} ${c.credential_id} of person ${c.person_id} disabled: not used in ${days} days (${since})`,
            person_id: c.person_id,
            credential_id: c.credential_id,
            credential_type: c.kind,
            source: options.source ?? 'cli',
            detail: { credential_id: c.credential_id, person_id: c.person_id, kind: c.kind, last_used: c.last_used },
          },
          at,
        ),
      );
    }
    return found;
  };
  // IMMEDIATE: the query and the disables under one write lock, so a grant stored meanwhile is seen or waits.
  const credentials = ctx.store.db.transaction(run).immediate();
  return { cutoff, dry_run: options.dryRun === true, credentials };
}
