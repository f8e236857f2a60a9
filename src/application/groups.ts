/**
 * Groups as DoorFlow has them: a group names doors and weekly slots exactly as a role does (the same slot syntax and
 * the same decision path), people belong to groups (`group_ids`), and a group reservation makes a person a member
 * of one or more groups between two times. Validation here, SQL in storage/group-repo.
 */
import { formatSlot } from '../core/schedule.js';
import { controlCharProblem } from '../core/text.js';
import { GroupRepo, type GroupReservationRow, type GroupRow } from '../storage/group-repo.js';
import { type AdminContext, limitOffset, nowIso } from './context.js';
import { Problems, invalid, notFound, refuseIfSynced } from './errors.js';
import { getPersonRow } from './people.js';
import { readTime } from './times.js';
import { checkDoorsAndSlots } from './roles.js';

/** A group as the API lists one: DoorFlow's fields, and keypadd's schedule (as a role shows it). */
export interface GroupView {
  id: number;
  name: string;
  notes: string | null;
  global_across_sites: boolean;
  /** Door ids; every configured door when the group is for all doors. */
  channel_ids: number[];
  all_channels: boolean;
  /** Weekly slots as text ("mon-fri 07:00-19:00"); empty means 24/7. */
  schedule: string[];
  always: boolean;
  people: number;
  synced: boolean;
  created_at: string;
  updated_at: string;
}

export type GroupReservationState = 'pending' | 'active' | 'deactivated';

export interface GroupReservationView {
  id: number;
  person_id: number;
  start_time: string;
  end_time: string;
  state: GroupReservationState;
  group_ids: number[];
  created_at: string;
  updated_at: string;
}

export function groupView(ctx: AdminContext, g: GroupRow): GroupView {
  return {
    id: g.id,
    name: g.name,
    notes: g.notes,
    global_across_sites: false,
    channel_ids: g.doors.length === 0 ? ctx.config.doors.map((d) => d.id) : g.doors,
    all_channels: g.doors.length === 0,
    schedule: g.slots.map(formatSlot),
    always: g.slots.length === 0,
    people: new GroupRepo(ctx.store.db).members(g.id),
    synced: g.upstream_id !== null,
    created_at: g.created_at,
    updated_at: g.updated_at,
  };
}

export function addGroup(
  ctx: AdminContext,
  input: { name?: string | undefined; notes?: string | null | undefined; doors?: number[] | undefined; slots?: string[] | undefined },
): GroupView {
  const repo = new GroupRepo(ctx.store.db);
  const problems = new Problems();
  const name = input.name?.trim() ?? '';
  if (name === '') problems.add('name', 'must not be empty');
  else if (name.length > 100) problems.add('name', 'must be at most 100 characters');
  for (const [field, text] of [
    ['name', name],
    ['notes', input.notes ?? ''],
  ] as const) {
    const p = controlCharProblem(text);
    if (p) problems.add(field, p);
  }
  const { doors, slots } = checkDoorsAndSlots(ctx, input, problems);
  problems.throwIfAny();
  return ctx.store.db
    .transaction(() => {
      if (repo.byName(name)) throw invalid('name', 'is already in use by another group');
      const now = nowIso(ctx);
      return groupView(
        ctx,
        repo.insert({ name, notes: input.notes?.trim() || null, upstream_id: null, doors, slots, created_at: now, updated_at: now }),
      );
    })
    .immediate();
}

export function listGroups(ctx: AdminContext): GroupView[] {
  return new GroupRepo(ctx.store.db).list().map((g) => groupView(ctx, g));
}

export function getGroup(ctx: AdminContext, id: number): GroupRow {
  const g = new GroupRepo(ctx.store.db).get(id);
  if (!g) throw notFound('group', `no group with id ${id}`);
  return g;
}

/** Deletes the group; its members and group reservations lose what it gave them at once. */
export function deleteGroup(ctx: AdminContext, id: number): GroupView {
  const g = getGroup(ctx, id);
  refuseIfSynced('group', g);
  const v = groupView(ctx, g);
  new GroupRepo(ctx.store.db).delete(id);
  return v;
}

/** Refuses (into `problems`, naming `field`) every id that no group has. */
export function checkGroupIds(ctx: AdminContext, field: string, ids: readonly number[], problems: Problems): void {
  const repo = new GroupRepo(ctx.store.db);
  for (const id of ids) if (!repo.get(id)) problems.add(field, `no group with id ${id}`);
}

export function groupReservationState(r: GroupReservationRow, now: string): GroupReservationState {
  if (r.deactivated_at !== null || r.end_time <= now) return 'deactivated';
  return r.start_time > now ? 'pending' : 'active';
}

function reservationView(r: GroupReservationRow, now: string): GroupReservationView {
  return {
    id: r.id,
    person_id: r.person_id,
    start_time: r.start_time,
    end_time: r.end_time,
    state: groupReservationState(r, now),
    group_ids: r.group_ids,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export interface GroupReservationInput {
  person_id?: number | undefined;
  start_time?: string | undefined;
  end_time?: string | undefined;
  group_ids?: number[] | undefined;
}

export function addGroupReservation(ctx: AdminContext, input: GroupReservationInput): GroupReservationView {
  const problems = new Problems();
  const zone = ctx.config.site.time_zone;
  if (input.person_id === undefined) problems.add('person_id', 'is required');
  if (!input.start_time) problems.add('start_time', 'is required');
  if (!input.end_time) problems.add('end_time', 'is required');
  const start = readTime('start_time', input.start_time, zone, problems);
  const end = readTime('end_time', input.end_time, zone, problems, 'end');
  const now = nowIso(ctx);
  if (start && end && end <= start) problems.add('end_time', 'must be after start_time');
  else if (end && end <= now) problems.add('end_time', 'must be in the future');
  const groups = [...new Set(input.group_ids ?? [])].sort((a, b) => a - b);
  if (groups.length === 0) problems.add('group_ids', 'must name at least one group');
  return ctx.store.db
    .transaction(() => {
      checkGroupIds(ctx, 'group_ids', groups, problems);
      problems.throwIfAny();
      getPersonRow(ctx, input.person_id!);
      const row = new GroupRepo(ctx.store.db).insertReservation({
        person_id: input.person_id!,
        start_time: start!,
        end_time: end!,
        deactivated_at: null,
        upstream_id: null,
        group_ids: groups,
        created_at: now,
        updated_at: now,
      });
      return reservationView(row, now);
    })
    .immediate();
}

/** Present and future group reservations (DoorFlow's list), or all of them with `include_past`. */
export function listGroupReservations(
  ctx: AdminContext,
  filter: { include_past?: boolean; since_utc?: string | undefined; page?: number; per_page?: number } = {},
): GroupReservationView[] {
  const now = nowIso(ctx);
  return new GroupRepo(ctx.store.db)
    .listReservations({ endsAfter: filter.include_past ? undefined : now, updatedSince: filter.since_utc, ...limitOffset(filter) })
    .map((r) => reservationView(r, now));
}

export function countGroupReservations(ctx: AdminContext, filter: { include_past?: boolean; since_utc?: string | undefined } = {}): number {
  return new GroupRepo(ctx.store.db).countReservations({ endsAfter: filter.include_past ? undefined : nowIso(ctx), updatedSince: filter.since_utc });
}

/**
 * DoorFlow's delete: a pending reservation is removed; an active one is deactivated (kept, granting nothing from
 * now on); a deactivated one is answered as it is.
 */
export function deleteGroupReservation(ctx: AdminContext, id: number): GroupReservationView {
  const repo = new GroupRepo(ctx.store.db);
  return ctx.store.db
    .transaction(() => {
      const row = repo.getReservation(id);
      if (!row) throw notFound('id', `no group reservation ${id}`);
      refuseIfSynced('group_reservation', row);
      const now = nowIso(ctx);
      const state = groupReservationState(row, now);
      if (state === 'pending') {
        repo.deleteReservation(id);
        return { ...reservationView(row, now), state: 'deactivated' as const };
      }
      if (state === 'active') repo.deactivateReservation(id, now);
      return reservationView(repo.getReservation(id)!, now);
    })
    .immediate();
}

/** Adds the person to the group (`member` true) or takes them out; a synced person is changed at the upstream only. */
export function setGroupMember(ctx: AdminContext, personId: number, groupId: number, member: boolean): GroupView {
  return ctx.store.db
    .transaction(() => {
      refuseIfSynced('person', getPersonRow(ctx, personId));
      const g = getGroup(ctx, groupId);
      const repo = new GroupRepo(ctx.store.db);
      const others = repo.groupsOf(personId).filter((id) => id !== groupId);
      repo.replaceMembership(personId, member ? [...others, groupId] : others);
      return groupView(ctx, g);
    })
    .immediate();
}
