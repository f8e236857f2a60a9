/**
 * One pull: roles, groups, people, credentials, reservations and group reservations fetched page by page into staging, checked record by
 * record, then applied in one transaction. Anything that goes wrong before the apply (a 500 on page 3, a cut-off
 * body, a rejected token) leaves the cache exactly as it was. Used by the daemon's sync worker and by
 * `keypadd sync run` when no daemon is running.
 *
 * Incremental pulls ask only for people changed since the last good pull (`since_utc`); credentials,
 * reservations and roles are listed in full every time, because the API offers no way to see their deletions
 * otherwise. People removed upstream go at the next full reconcile (their credentials go at once).
 */
import type { Config } from '../config/schema.js';
import { sitePinRules, syncTimings } from '../config/policy.js';
import { toIsoSeconds } from '../core/site-time.js';
import { parseSlot, type Slot } from '../core/schedule.js';
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import type { NewEvent } from '../storage/event-repo.js';
import { PeopleRepo } from '../storage/people-repo.js';
import type { Store } from '../storage/store.js';
import { applyStaged, DeleteRefusedError, type Applied } from '../storage/sync-apply.js';
import { checkCredential, checkPerson, checkReservation, checkRole, type Checked } from './records.js';
import { Staging } from '../storage/sync-staging.js';
import { readSyncState, writeSyncState, type SyncCounts, type SyncState } from '../storage/sync-state.js';
import { stageGroupReservations, stageGroups, type GroupPullDeps } from './group-pull.js';
import { syncEvent } from './sync-events.js';
import { Upstream, UpstreamError } from './upstream.js';

/** since_utc is moved back by this much, so an upstream clock a little behind ours loses no change. */
const SKEW_MARGIN_MS = 5 * 60_000;
/** At most this many skipped records are logged one by one per pull; the rest are counted. */
const LOG_SKIPPED = 20;
const MAX_PAGES = 100_000;

export interface PullOptions {
  force?: boolean;
  full?: boolean;
}

export type PullResult =
  | { ok: true; mode: 'full' | 'incremental'; counts: SyncCounts; ms: number }
  | { ok: false; kind: string; error: string; retryAfterMs: number | null };

export interface PullerDeps {
  config: Config;
  store: Store;
  log: Logger;
  token: () => string;
  emit: (e: NewEvent) => void;
  now?: () => number;
  signal?: AbortSignal;
  /** Tests shorten the backoff between retries. */
  retryBaseMs?: number;
}

export class Puller {
  private readonly now: () => number;

  constructor(private readonly deps: PullerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async pull(opts: PullOptions = {}): Promise<PullResult> {
    const { db } = this.deps.store;
    const started = this.now();
    const before = readSyncState(db);
    const s = this.deps.config.sync;
    const fullDue = !before.last_full_at || started - Date.parse(before.last_full_at) >= syncTimings(this.deps.config).fullEveryMs;
    // A changed door mapping changes whose roles mean what: only a full pull re-reads everyone.
    const mapping = createHash('sha256')
      .update(JSON.stringify([s.doors, s.shifts]))
      .digest('base64url')
      .slice(0, 16);
    const full = opts.full === true || opts.force === true || fullDue || before.since_base === null || before.mapping !== mapping;
    writeSyncState(db, { ...before, status: 'syncing', last_attempt_at: toIsoSeconds(started) });
    const staging = new Staging(db);
    try {
      const upstream = new Upstream({
        baseUrl: s.url!,
        token: this.deps.token(),
        timeoutMs: syncTimings(this.deps.config).requestTimeoutMs,
        ...(this.deps.retryBaseMs !== undefined ? { retryBaseMs: this.deps.retryBaseMs } : {}),
        ...(this.deps.signal ? { signal: this.deps.signal } : {}),
      });
      const counts = await this.fetchInto(upstream, staging, full ? null : before.since_base!);
      const applyStart = performance.now();
      const applied = applyStaged(db, { full, now: toIsoSeconds(this.now()), maxDeleteFraction: s.max_delete_fraction, force: opts.force === true });
      const applyMs = Math.round(performance.now() - applyStart);
      Object.assign(counts, {
        people: applied.people,
        credentials: applied.credentials,
        reservations: applied.reservations,
        roles: applied.roles,
        groups: applied.groups,
        group_reservations: applied.group_reservations,
        clashes: applied.clashes.length,
      });
      const after: SyncState = {
        ...before,
        status: 'complete',
        last_attempt_at: toIsoSeconds(started),
        last_success_at: toIsoSeconds(this.now()),
        last_full_at: full ? toIsoSeconds(started) : before.last_full_at,
        since_base: toIsoSeconds(started - SKEW_MARGIN_MS),
        last_mode: full ? 'full' : 'incremental',
        mapping,
        last_counts: counts,
        last_error: null,
        last_error_kind: null,
        consecutive_failures: 0,
        stale_since: null,
      };
      writeSyncState(db, after);
      this.report(applied, counts, full, before, applyMs);
      return { ok: true, mode: full ? 'full' : 'incremental', counts, ms: this.now() - started };
    } catch (err) {
      const kind = err instanceof UpstreamError ? err.kind : err instanceof DeleteRefusedError ? 'delete_refused' : 'error';
      const message = err instanceof Error ? err.message : String(err);
      writeSyncState(db, {
        ...readSyncState(db),
        status: 'failing',
        last_error: message,
        last_error_kind: kind,
        consecutive_failures: before.consecutive_failures + 1,
      });
      this.deps.log.error(`sync failed (${kind}): ${message}; the cache is unchanged`);
      if (kind === 'error') this.deps.log.debug((err as Error).stack ?? '');
      const type = kind === 'token_rejected' ? 'sync_token_rejected' : kind === 'delete_refused' ? 'sync_delete_refused' : 'sync_failed';
      this.deps.emit(
        syncEvent(type, this.now(), `Sync from ${this.host()} failed: ${message}`, { kind, consecutive_failures: before.consecutive_failures + 1 }),
      );
      return { ok: false, kind, error: message, retryAfterMs: err instanceof UpstreamError ? err.retryAfterMs : null };
    } finally {
      staging.drop();
    }
  }

  private async fetchInto(upstream: Upstream, staging: Staging, since: string | null): Promise<SyncCounts> {
    const { config } = this.deps;
    const counts: SyncCounts = {
      people: zero(),
      credentials: zero(),
      reservations: zero(),
      roles: zero(),
      skipped: 0,
      skipped_reasons: {},
      ignored: 0,
      clashes: 0,
    };
    const skip = (kind: string, id: unknown, c: { field: string; reason: string } | string) => {
      const key = typeof c === 'string' ? `${kind}: ${c}` : `${kind}.${c.field}: ${c.reason}`;
      counts.skipped++;
      if (Object.keys(counts.skipped_reasons).length < 50 || key in counts.skipped_reasons)
        counts.skipped_reasons[key] = (counts.skipped_reasons[key] ?? 0) + 1;
      if (counts.skipped <= LOG_SKIPPED) this.deps.log.warn(`sync: skipped upstream ${kind} ${safeId(id)}: ${key.slice(kind.length + 1)}`);
    };

    // Roles (unpaged in DoorFlow) become synced roles, and the groups the config maps synced groups, with explicit doors.
    const doorsOf = new Map<string, number[]>();
    const groupDoors = new Map<number, number[]>();
    const channelDoors = new Map<number, number[]>();
    for (const m of config.sync.doors) {
      for (const r of m.role_ids) doorsOf.set(`role:${r}`, [...(doorsOf.get(`role:${r}`) ?? []), m.door]);
      for (const g of m.group_ids)
        groupDoors.set(
          g,
          [...new Set([...(groupDoors.get(g) ?? []), m.door])].sort((a, b) => a - b),
        );
      for (const c of m.channel_ids) channelDoors.set(c, [...(channelDoors.get(c) ?? []), m.door]);
    }
    const groupDeps: GroupPullDeps = {
      upstream,
      staging,
      pages: (path, query, each) => this.pages(upstream, staging, path, query, each),
      stage: (kind, raw, checked, put) => this.stage(kind, raw, checked, put, skip),
      ignored: () => void counts.ignored++,
      warn: (m) => this.deps.log.warn(m),
    };
    const shifts = new Map<number, Slot[]>(config.sync.shifts.map((sh) => [sh.id, sh.slots.map((x) => parseSlotOrThrow(x))]));
    const mapped = new Set<string>();
    for (const raw of (await upstream.list('/api/3/roles')).items) {
      const r = checkRole(raw, shifts);
      if (!r.ok) {
        skip('role', (raw as { id?: unknown })?.id, r);
        continue;
      }
      const doors = doorsOf.get(r.row.upstream_id);
      if (!doors) continue; // a role no door here is mapped to gives nothing here
      staging.role(
        r.row,
        [...doors].sort((a, b) => a - b),
      );
      mapped.add(r.row.upstream_id);
    }
    const groups = await stageGroups(groupDeps, groupDoors);
    for (const key of groups) mapped.add(key);

    const known = new Set<number>();
    if (since !== null) {
      for (const id of new PeopleRepo(this.deps.store.db).upstreamIds()) known.add(id);
    }
    await this.pages(upstream, staging, '/api/3/people', since ? { since_utc: since } : {}, (raw) => {
      this.stage(
        'person',
        raw,
        checkPerson(raw),
        (row) => staging.person(row, mapped),
        skip,
        () => known.add((raw as { id: number }).id),
      );
    });

    const rules = {
      pin: sitePinRules(config),
      keepPinValue: config.pin_policy.storage === 'plaintext',
      digest: (v: string) => this.deps.store.digest(v),
    };
    await this.pages(upstream, staging, '/api/3/credentials', {}, (raw) => {
      const c = checkCredential(raw, rules);
      if (c.ok && !known.has(c.row.person_upstream)) return void counts.ignored++;
      this.stage('credential', raw, c, (row) => staging.credential(row), skip);
    });
    await this.pages(upstream, staging, '/api/3/reservations', {}, (raw) => {
      const r = checkReservation(raw, (ch) => channelDoors.get(ch) ?? []);
      if (r.ok && (r.row.doors.length === 0 || !known.has(r.row.person_upstream))) return void counts.ignored++;
      this.stage('reservation', raw, r, (row) => staging.reservation(row), skip);
    });
    await stageGroupReservations(groupDeps, groups, known);
    return counts;
  }

  private stage<T>(
    kind: string,
    raw: unknown,
    checked: Checked<T>,
    put: (row: T) => string | null,
    skip: (kind: string, id: unknown, c: { field: string; reason: string } | string) => void,
    onStaged?: () => void,
  ): void {
    const id = (raw as { id?: unknown } | null)?.id;
    if (!checked.ok) return skip(kind, id, checked);
    const dup = put(checked.row);
    if (dup) return skip(kind, id, dup);
    onStaged?.();
  }

  /** Every page of a list: until a short page, or Total reached; an upstream that ignores paging is caught. */
  private async pages(
    upstream: Upstream,
    staging: Staging,
    path: string,
    query: Record<string, string>,
    each: (raw: unknown) => void,
  ): Promise<void> {
    const perPage = this.deps.config.sync.per_page;
    let seen = 0;
    let firstIds = '';
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { items, total } = await upstream.list(path, { ...query, page, per_page: perPage });
      const ids = items
        .slice(0, 3)
        .map((i) => JSON.stringify((i as { id?: unknown } | null)?.id))
        .join();
      if (page > 1 && items.length > 0 && ids === firstIds)
        throw new UpstreamError('bad_body', `${path}: page ${page} repeats page 1 (the upstream ignores page=)`);
      if (page === 1) firstIds = ids;
      staging.batch(() => {
        for (const raw of items) each(raw);
      });
      seen += items.length;
      // A short page (or one longer than asked: no paging at all) is the last.
      if (items.length !== perPage || (total !== null && seen >= total)) {
        if (total !== null && seen < total)
          throw new UpstreamError('bad_body', `${path}: the upstream said Total ${total} but gave ${seen} (changed mid-pull?)`);
        return;
      }
    }
    throw new UpstreamError('bad_body', `${path}: more than ${MAX_PAGES} pages`);
  }

  private report(applied: Applied, counts: SyncCounts, full: boolean, before: SyncState, applyMs: number): void {
    const c = counts;
    const line = `people +${c.people.added} ~${c.people.changed} -${c.people.removed}, credentials +${c.credentials.added} ~${c.credentials.changed} -${c.credentials.removed}, reservations +${c.reservations.added} ~${c.reservations.changed} -${c.reservations.removed}, ${c.skipped} skipped`;
    this.deps.log.info(`sync (${full ? 'full' : 'incremental'}) from ${this.host()}: ${line}; applied in ${applyMs} ms`);
    for (const clash of applied.clashes.slice(0, 20)) {
      this.deps.emit(
        syncEvent(
          'sync_credential_clash',
          this.now(),
          `A local ${clash.credential_type_id === 6 ? 'PIN' : 'card'} had the value of an upstream credential: the local one was removed`,
          clash,
          {
            person_id: clash.local_person_id,
            credential_id: clash.local_credential_id,
          },
        ),
      );
    }
    const changed = [c.people, c.credentials, c.reservations, c.roles].some((x) => x.added + x.changed + x.removed > 0);
    // Quiet when nothing changed: a pull every 5 minutes would otherwise fill the history.
    if (changed || full || before.status !== 'complete') {
      this.deps.emit(
        syncEvent('sync_completed', this.now(), `Sync from ${this.host()} completed: ${line}`, { mode: full ? 'full' : 'incremental', ...c }),
      );
    }
  }

  private host(): string {
    return new URL(this.deps.config.sync.url!).host;
  }
}

const zero = () => ({ added: 0, changed: 0, removed: 0 });

/** An upstream id as logged: numbers and short ids only, so nothing else from the record reaches the log. */
function safeId(id: unknown): string {
  return (typeof id === 'number' || typeof id === 'string') && /^[A-Za-z0-9_-]{1,40}$/.test(String(id)) ? String(id) : '(no valid id)';
}

function parseSlotOrThrow(spec: string): Slot {
  const r = parseSlot(spec);
  if (!r.ok) throw new Error(`sync.shifts: "${spec}": ${r.message}`);
  return r.slot;
}
