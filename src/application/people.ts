/** People: who may hold credentials. Validation here, SQL in storage/people-repo. */
import { PeopleRepo, type PersonRow } from '../storage/people-repo.js';
import { MembershipRepo } from '../storage/membership-repo.js';
import { RoleRepo } from '../storage/role-repo.js';
import { GroupRepo } from '../storage/group-repo.js';
import { defaultRoleId } from './roles.js';
import { type AdminContext, limitOffset, nowIso } from './context.js';
import { Problems, notFound, refuseIfSynced } from './errors.js';
import { readTime } from './times.js';
import { truncateWal } from '../storage/store.js';
import { controlCharProblem } from '../core/text.js';

export interface PersonInput {
  first_name?: string | undefined;
  last_name?: string | undefined;
  email?: string | null | undefined;
  enabled?: boolean | undefined;
  valid_from?: string | null | undefined;
  valid_to?: string | null | undefined;
  notes?: string | null | undefined;
  /** A visitor gets no standing role: access only from reservations. */
  visitor?: boolean | undefined;
  /** keypadd's addition: the relay holds this long for the person (accessibility); null for the door's own time. */
  unlock_seconds?: unknown;
}

/** The longest a person's unlock time may be: beyond, a door held open is better served by a schedule. */
export const MAX_UNLOCK_SECONDS = 300;

function checkUnlockSeconds(value: unknown, problems: Problems): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_UNLOCK_SECONDS) {
    problems.add('unlock_seconds', `must be a whole number of seconds from 1 to ${MAX_UNLOCK_SECONDS}, or null for the door's own time`);
  }
  return value as number;
}

/** A person as the DoorFlow API returns one. */
export interface PersonView {
  id: number;
  first_name: string;
  last_name: string;
  email: string | null;
  enabled: boolean;
  valid_from: string | null;
  valid_to: string | null;
  notes: string | null;
  /** Standing group memberships (group reservations are listed on their own). */
  groups: number[];
  roles: number[];
  /** keypadd's addition: true when the person comes from the upstream API (read-only here). */
  synced: boolean;
  /** keypadd's addition: an emergency credential holder, let through a lockdown (recorded as such). */
  emergency: boolean;
  /** keypadd's addition: seconds the relay holds for this person when longer than the door's; null: the door's. */
  unlock_seconds: number | null;
  created_at: string;
  updated_at: string;
}

const NAME_MAX = 100;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function personView(ctx: AdminContext, row: PersonRow): PersonView {
  return {
    id: row.id,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    enabled: row.enabled === 1,
    valid_from: row.valid_from,
    valid_to: row.valid_to,
    notes: row.notes,
    groups: new GroupRepo(ctx.store.db).groupsOf(row.id),
    roles: new MembershipRepo(ctx.store.db).rolesOf(row.id),
    synced: row.upstream_id !== null && row.upstream_id !== undefined,
    emergency: row.emergency === 1,
    unlock_seconds: row.unlock_seconds ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * Makes a person. `role_ids` replaces the default role; `group_ids` are standing groups. Unknown ids are refused
 * with the rest, and nothing is made on a refusal.
 */
export function addPerson(ctx: AdminContext, input: PersonInput & { role_ids?: number[] | undefined; group_ids?: number[] | undefined }): PersonView {
  const repo = new PeopleRepo(ctx.store.db);
  const problems = new Problems();
  const first = checkName('first_name', input.first_name, problems);
  const last = checkName('last_name', input.last_name, problems);
  const email = input.email?.trim() || null;
  if (email !== null && !EMAIL.test(email)) problems.add('email', 'must be an email address (name@example.com)');
  checkText('email', email, problems);
  checkText('notes', input.notes, problems);
  const zone = ctx.config.site.time_zone;
  const validFrom = readTime('valid_from', input.valid_from, zone, problems);
  const validTo = readTime('valid_to', input.valid_to, zone, problems, 'end');
  if (validFrom && validTo && validTo <= validFrom) problems.add('valid_to', 'must be after valid_from');
  const unlockSeconds = checkUnlockSeconds(input.unlock_seconds, problems);
  problems.throwIfAny();

  return ctx.store.db
    .transaction(() => {
      const p = new Problems();
      if (email !== null && repo.byEmail(email)) p.add('email', 'is already in use by another person');
      const roleRepo = new RoleRepo(ctx.store.db);
      for (const r of input.role_ids ?? []) if (!roleRepo.get(r)) p.add('role_ids', `no role with id ${r}`);
      const groups = new GroupRepo(ctx.store.db);
      for (const g of input.group_ids ?? []) if (!groups.get(g)) p.add('group_ids', `no group with id ${g}`);
      p.throwIfAny();
      const now = nowIso(ctx);
      const role = input.visitor || input.role_ids !== undefined ? null : defaultRoleId(ctx);
      const row = repo.insert({
        first_name: first,
        last_name: last,
        email,
        enabled: input.enabled === false ? 0 : 1,
        valid_from: validFrom,
        valid_to: validTo,
        notes: input.notes?.trim() || null,
        created_at: now,
        updated_at: now,
      });
      if (unlockSeconds !== null) repo.setUnlockSeconds(row.id, unlockSeconds, now);
      if (role !== null) new MembershipRepo(ctx.store.db).add(row.id, role);
      if (input.role_ids !== undefined) new MembershipRepo(ctx.store.db).replace(row.id, [...new Set(input.role_ids)]);
      if (input.group_ids !== undefined) groups.replaceMembership(row.id, [...new Set(input.group_ids)]);
      return personView(ctx, row);
    })
    .immediate();
}

function checkName(field: string, value: string | undefined, problems: Problems): string {
  const v = value?.trim() ?? '';
  if (v === '') problems.add(field, 'must not be empty');
  else if (v.length > NAME_MAX) problems.add(field, `must be at most ${NAME_MAX} characters`);
  checkText(field, v, problems);
  return v;
}

/** Names, emails and notes reach log lines and terminals: no control characters (core/text.ts says why). */
function checkText(field: string, value: string | null | undefined, problems: Problems): void {
  const problem = value ? controlCharProblem(value) : null;
  if (problem) problems.add(field, problem);
}

/**
 * Changes the given fields of a person (PUT /people/{id}); fields left out keep their value. `role_ids` replaces
 * the person's roles, `group_ids` their standing groups. Every problem is reported at once and nothing changes on a refusal.
 */
export function updatePerson(
  ctx: AdminContext,
  id: number,
  input: PersonInput & { role_ids?: number[] | undefined; group_ids?: number[] | undefined },
): PersonView {
  const repo = new PeopleRepo(ctx.store.db);
  return ctx.store.db
    .transaction(() => {
      const old = getPersonRow(ctx, id);
      refuseIfSynced('person', old);
      const problems = new Problems();
      const first = input.first_name === undefined ? old.first_name : checkName('first_name', input.first_name, problems);
      const last = input.last_name === undefined ? old.last_name : checkName('last_name', input.last_name, problems);
      const email = input.email === undefined ? old.email : input.email?.trim() || null;
      if (input.email !== undefined) checkText('email', email, problems);
      if (input.notes !== undefined) checkText('notes', input.notes, problems);
      if (email !== null && email !== old.email) {
        if (!EMAIL.test(email)) problems.add('email', 'must be an email address (name@example.com)');
        else if (repo.byEmail(email)) problems.add('email', 'is already in use by another person');
      }
      const zone = ctx.config.site.time_zone;
      const validFrom = input.valid_from === undefined ? old.valid_from : readTime('valid_from', input.valid_from, zone, problems);
      const validTo = input.valid_to === undefined ? old.valid_to : readTime('valid_to', input.valid_to, zone, problems, 'end');
      if (validFrom && validTo && validTo <= validFrom) problems.add('valid_to', 'must be after valid_from');
      const roles = new RoleRepo(ctx.store.db);
      for (const r of input.role_ids ?? []) if (!roles.get(r)) problems.add('role_ids', `no role with id ${r}`);
      const groups = new GroupRepo(ctx.store.db);
      for (const g of input.group_ids ?? []) if (!groups.get(g)) problems.add('group_ids', `no group with id ${g}`);
      const unlockSeconds = input.unlock_seconds === undefined ? undefined : checkUnlockSeconds(input.unlock_seconds, problems);
      problems.throwIfAny();
      if (unlockSeconds !== undefined) repo.setUnlockSeconds(id, unlockSeconds, nowIso(ctx));
      repo.update(id, {
        first_name: first,
        last_name: last,
        email,
        enabled: input.enabled === undefined ? old.enabled : input.enabled ? 1 : 0,
        valid_from: validFrom,
        valid_to: validTo,
        notes: input.notes === undefined ? old.notes : input.notes?.trim() || null,
        updated_at: nowIso(ctx),
      });
      if (input.role_ids !== undefined) new MembershipRepo(ctx.store.db).replace(id, [...new Set(input.role_ids)]);
      if (input.group_ids !== undefined) groups.replaceMembership(id, [...new Set(input.group_ids)]);
      return getPerson(ctx, id);
    })
    .immediate();
}

export function countPeople(ctx: AdminContext, filter: { email?: string | undefined; since_utc?: string | undefined } = {}): number {
  return new PeopleRepo(ctx.store.db).count({ email: filter.email, updatedSince: filter.since_utc });
}

export function getPersonRow(ctx: AdminContext, id: number): PersonRow {
  const row = new PeopleRepo(ctx.store.db).get(id);
  if (!row) throw notFound('person_id', `no person with id ${id}`);
  return row;
}

export function getPerson(ctx: AdminContext, id: number): PersonView {
  return personView(ctx, getPersonRow(ctx, id));
}

export function listPeople(
  ctx: AdminContext,
  filter: { email?: string | undefined; since_utc?: string | undefined; page?: number; per_page?: number } = {},
): PersonView[] {
  return new PeopleRepo(ctx.store.db)
    .list({ email: filter.email, updatedSince: filter.since_utc, ...limitOffset(filter) })
    .map((r) => personView(ctx, r));
}

/** Marks a person as an emergency credential holder (security, fire wardens): their credentials pass a lockdown. */
export function setPersonEmergency(ctx: AdminContext, id: number, emergency: boolean): PersonView {
  if (!new PeopleRepo(ctx.store.db).setEmergency(id, emergency, nowIso(ctx))) throw notFound('person', `no person ${id}`);
  return getPerson(ctx, id);
}

export function setPersonEnabled(ctx: AdminContext, id: number, enabled: boolean): PersonView {
  refuseIfSynced('person', getPersonRow(ctx, id));
  new PeopleRepo(ctx.store.db).setEnabled(id, enabled, nowIso(ctx));
  return getPerson(ctx, id);
}

/** Deletes the person with their credentials, reservations and role links; their past events stay. */
export function deletePerson(ctx: AdminContext, id: number): PersonView {
  refuseIfSynced('person', getPersonRow(ctx, id));
  const view = getPerson(ctx, id);
  new PeopleRepo(ctx.store.db).delete(id);
  truncateWal(ctx.store.db); // their credentials went too: no copy of them left in the WAL's frames
  return view;
}
