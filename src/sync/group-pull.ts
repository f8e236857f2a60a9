/**
 * The group part of a pull: the upstream groups `sync.doors` maps to doors here (names and, from a keypadd upstream,
 * schedules from GET /groups), and the group reservations for them. Only mapped groups are staged: a group with no
 * doors would mean every door here. Nothing is fetched when no group is mapped, so an upstream (or a token) without
 * groups is unaffected.
 *
 * Group reservations are listed in full every pull, although DoorFlow offers since_utc for them: an incremental list
 * cannot show one deleted or deactivated upstream, which would keep opening the door here until a full reconcile.
 */
import type { Staging } from '../storage/sync-staging.js';
import { checkGroup, checkGroupReservation, type Checked } from './records.js';
import { UpstreamError, type Upstream } from './upstream.js';

export interface GroupPullDeps {
  upstream: Upstream;
  staging: Staging;
  /** Every page of a list (the puller's pager). */
  pages: (path: string, query: Record<string, string>, each: (raw: unknown) => void) => Promise<void>;
  stage: <T>(kind: string, raw: unknown, checked: Checked<T>, put: (row: T) => string | null) => void;
  ignored: () => void;
  warn: (message: string) => void;
}

/** Whether the error is the upstream saying it has no such list (an older keypadd, a DoorFlow-like API without it). */
const absent = (err: unknown) => err instanceof UpstreamError && err.kind === 'refused' && err.status === 404;

/** Stages the mapped groups; returns their person keys ("group:<id>") for the people that follow. */
export async function stageGroups(deps: GroupPullDeps, doorsOf: ReadonlyMap<number, number[]>): Promise<Set<string>> {
  const mapped = new Set<string>();
  if (doorsOf.size === 0) return mapped;
  let listed: unknown[] = [];
  try {
    listed = (await deps.upstream.list('/api/3/groups')).items;
  } catch (err) {
    if (!absent(err)) throw err;
    deps.warn('sync: the upstream has no /api/3/groups: mapped groups are named by their ids and open their doors 24/7');
  }
  const seen = new Set<number>();
  for (const raw of listed) {
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id !== 'number' || !doorsOf.has(id)) continue; // a group no door here is mapped to gives nothing here
    deps.stage('group', raw, checkGroup(raw), (row) => {
      const dup = deps.staging.group({ ...row, doors: doorsOf.get(id)! });
      if (!dup) seen.add(id);
      return dup;
    });
  }
  // A mapped group the upstream does not list (or cannot: no /groups) still gives its members the mapped doors.
  for (const [id, doors] of doorsOf) {
    if (seen.has(id) || listed.some((g) => (g as { id?: unknown } | null)?.id === id)) continue;
    deps.staging.group({ upstream_id: id, name: `Group ${id}`, notes: null, doors, slots: [] });
    seen.add(id);
  }
  for (const id of seen) mapped.add(`group:${id}`);
  return mapped;
}

/** Stages the group reservations of synced people for staged groups; deactivated ones are dropped. */
export async function stageGroupReservations(deps: GroupPullDeps, mapped: ReadonlySet<string>, known: ReadonlySet<number>): Promise<void> {
  if (mapped.size === 0) return;
  try {
    await deps.pages('/api/3/group_reservations', {}, (raw) => {
      const c = checkGroupReservation(raw);
      if (c.ok) {
        const groups = c.row.groups.filter((g) => mapped.has(`group:${g}`));
        if (c.row.deactivated || groups.length === 0 || !known.has(c.row.person_upstream)) return deps.ignored();
        const { upstream_id, person_upstream, start_time, end_time } = c.row;
        const row = { upstream_id, person_upstream, start_time, end_time, groups };
        return deps.stage('group_reservation', raw, { ok: true, row }, (r) => deps.staging.groupReservation(r));
      }
      deps.stage('group_reservation', raw, c, () => null);
    });
  } catch (err) {
    if (!absent(err)) throw err;
    deps.warn('sync: the upstream has no /api/3/group_reservations: none are synced');
  }
}
