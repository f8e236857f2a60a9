/** Roles: standing access to doors in weekly time slots (site time zone), or 24/7. */
import { formatSlot, parseSlot, type Slot } from '../core/schedule.js';
import { RoleRepo, type RoleRow } from '../storage/role-repo.js';
import { type AdminContext, nowIso } from './context.js';
import { Problems, invalid, notFound, refuseIfSynced } from './errors.js';
import { MembershipRepo } from '../storage/membership-repo.js';
import { controlCharProblem } from '../core/text.js';

/** A role as the DoorFlow API lists one, with its schedule. */
export interface RoleView {
  id: number;
  name: string;
  builtin: boolean;
  /** Door ids; every configured door when the role is for all doors. */
  channel_ids: number[];
  all_channels: boolean;
  /** Weekly slots as text ("mon-fri 07:00-19:00"); empty means 24/7. */
  schedule: string[];
  always: boolean;
  people: number;
}

/** A role as the CLI and the API show it, with how many people hold it. */
export function roleView(ctx: AdminContext, r: RoleRow): RoleView {
  return {
    id: r.id,
    name: r.name,
    builtin: r.builtin === 1,
    channel_ids: r.doors.length === 0 ? ctx.config.doors.map((d) => d.id) : r.doors,
    all_channels: r.doors.length === 0,
    schedule: r.slots.map(formatSlot),
    always: r.slots.length === 0,
    people: new MembershipRepo(ctx.store.db).holders(r.id),
  };
}

/** What a role is made of, as a form or the CLI gives it. */
export interface RoleInput {
  name?: string | undefined;
  /** Door ids; none means every door. */
  doors?: number[] | undefined;
  /** Weekly slots as text; none means 24/7. */
  slots?: string[] | undefined;
}

/** The one set of rules for a role's name, doors and slots (add and edit alike); every problem at once. */
function checkRoleInput(ctx: AdminContext, input: RoleInput): { name: string; doors: number[]; slots: Slot[] } {
  const problems = new Problems();
  const name = input.name?.trim() ?? '';
  if (name === '') problems.add('name', 'must not be empty');
  const text = controlCharProblem(name);
  if (text) problems.add('name', text);
  const access = checkDoorsAndSlots(ctx, input, problems);
  problems.throwIfAny();
  return { name, ...access };
}

/** The doors and weekly slots of standing access (a role's or a group's): known doors, slots that parse. */
export function checkDoorsAndSlots(
  ctx: AdminContext,
  input: Pick<RoleInput, 'doors' | 'slots'>,
  problems: Problems,
): { doors: number[]; slots: Slot[] } {
  const known = new Set(ctx.config.doors.map((d) => d.id));
  const doors = [...new Set(input.doors ?? [])].sort((a, b) => a - b);
  for (const d of doors) if (!known.has(d)) problems.add('door', `door ${d} is not configured (doors: ${[...known].join(', ')})`);
  const slots: Slot[] = [];
  for (const spec of input.slots ?? []) {
    const r = parseSlot(spec);
    if (r.ok) slots.push(r.slot);
    else problems.add('slot', `"${spec}": ${r.message}`);
  }
  return { doors, slots };
}

export function addRole(ctx: AdminContext, input: RoleInput): RoleView {
  const repo = new RoleRepo(ctx.store.db);
  const { name, doors, slots } = checkRoleInput(ctx, input);
  return ctx.store.db
    .transaction(() => {
      if (repo.byName(name)) throw invalid('name', 'is already in use by another role');
      const now = nowIso(ctx);
      return roleView(ctx, repo.insert({ name, doors, slots, created_at: now, updated_at: now }));
    })
    .immediate();
}

/** Replaces a local role's name, doors and slots in one transaction (its holders keep it); a synced role is refused. */
export function editRole(ctx: AdminContext, id: number, input: RoleInput): RoleView {
  const repo = new RoleRepo(ctx.store.db);
  const { name, doors, slots } = checkRoleInput(ctx, input);
  return ctx.store.db
    .transaction(() => {
      const role = getRole(ctx, id);
      refuseIfSynced('role', role);
      const other = repo.byName(name);
      if (other && other.id !== id) throw invalid('name', 'is already in use by another role');
      if (role.name === ctx.config.access.default_role && name !== role.name) {
        throw invalid('name', `"${role.name}" is the default role for new people (access.default_role); change that first`);
      }
      repo.replace(id, { name, doors, slots, updated_at: nowIso(ctx) });
      return roleView(ctx, getRole(ctx, id));
    })
    .immediate();
}

export function listRoles(ctx: AdminContext): RoleView[] {
  const repo = new RoleRepo(ctx.store.db);
  return repo.list().map((r) => roleView(ctx, r));
}

export function getRole(ctx: AdminContext, id: number): RoleRow {
  const r = new RoleRepo(ctx.store.db).get(id);
  if (!r) throw notFound('role', `no role with id ${id}`);
  return r;
}

export function deleteRole(ctx: AdminContext, id: number): RoleView {
  const repo = new RoleRepo(ctx.store.db);
  const role = getRole(ctx, id);
  refuseIfSynced('role', role);
  if (role.name === ctx.config.access.default_role) {
    throw invalid('role', `"${role.name}" is the default role for new people (access.default_role); change that first`);
  }
  const v = roleView(ctx, role);
  repo.delete(id);
  return v;
}

/** The role new non-visitors get, or null when the config names none. Refuses a name that no role has. */
export function defaultRoleId(ctx: AdminContext): number | null {
  const name = ctx.config.access.default_role;
  if (name === null) return null;
  const role = new RoleRepo(ctx.store.db).byName(name);
  if (!role) throw invalid('access.default_role', `no role is named "${name}"; create it (keypadd role add --name "${name}") or change the setting`);
  return role.id;
}
