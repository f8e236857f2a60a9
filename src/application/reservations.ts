/** Reservations: a person's access between two times, at named doors or at all of them. */
import { ReservationRepo, type ReservationRow } from '../storage/reservation-repo.js';
import { type AdminContext, limitOffset, nowIso } from './context.js';
import { Problems, notFound, refuseIfSynced } from './errors.js';
import { getPersonRow } from './people.js';
import { readTime } from './times.js';

/** A reservation as the DoorFlow API returns one; channel_ids lists every door when it was made for all doors. */
export interface ReservationView {
  id: number;
  person_id: number;
  start_time: string;
  end_time: string;
  channel_ids: number[];
  all_channels: boolean;
  created_at: string;
  updated_at: string;
}

export interface ReservationInput {
  person_id: number;
  start_time?: string | undefined;
  end_time?: string | undefined;
  /** Door ids; empty or absent means every door. */
  channel_ids?: number[] | undefined;
}

function view(ctx: AdminContext, r: ReservationRow): ReservationView {
  const all = r.door_ids.length === 0;
  return {
    id: r.id,
    person_id: r.person_id,
    start_time: r.start_time,
    end_time: r.end_time,
    channel_ids: all ? ctx.config.doors.map((d) => d.id) : r.door_ids,
    all_channels: all,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function addReservation(ctx: AdminContext, input: ReservationInput): ReservationView {
  const problems = new Problems();
  const zone = ctx.config.site.time_zone;
  if (!input.start_time) problems.add('start_time', 'is required');
  if (!input.end_time) problems.add('end_time', 'is required');
  const start = readTime('start_time', input.start_time, zone, problems);
  const end = readTime('end_time', input.end_time, zone, problems, 'end');
  const now = nowIso(ctx);
  if (start && end && end <= start) problems.add('end_time', 'must be after start_time');
  else if (end && end <= now) problems.add('end_time', 'must be in the future');
  const known = new Set(ctx.config.doors.map((d) => d.id));
  const doors = [...new Set(input.channel_ids ?? [])];
  for (const d of doors) {
    if (!known.has(d)) problems.add('channel_ids', `door ${d} is not configured (doors: ${[...known].join(', ')})`);
  }
  problems.throwIfAny();
  return ctx.store.db
    .transaction(() => {
      getPersonRow(ctx, input.person_id);
      const row = new ReservationRepo(ctx.store.db).insert({
        person_id: input.person_id,
        start_time: start!,
        end_time: end!,
        door_ids: doors.sort((a, b) => a - b),
        created_at: now,
        updated_at: now,
      });
      return view(ctx, row);
    })
    .immediate();
}

/** Current and future reservations (or all, with `include_past`). */
export function listReservations(
  ctx: AdminContext,
  filter: { person_id?: number | undefined; include_past?: boolean; page?: number; per_page?: number } = {},
): ReservationView[] {
  return new ReservationRepo(ctx.store.db)
    .list({ endsAfter: filter.include_past ? undefined : nowIso(ctx), personId: filter.person_id, ...limitOffset(filter) })
    .map((r) => view(ctx, r));
}

export function deleteReservation(ctx: AdminContext, id: number): ReservationView {
  const repo = new ReservationRepo(ctx.store.db);
  const row = repo.get(id);
  if (!row) throw notFound('id', `no reservation ${id}`);
  refuseIfSynced('reservation', row);
  repo.delete(id);
  return view(ctx, row);
}
