/**
 * Role membership: who holds which role. People and roles each stand alone; giving one to the other lives here, so
 * neither module reaches into the other's table (storage/membership-repo.ts is the one writer of `person_roles`).
 */
import { MembershipRepo } from '../storage/membership-repo.js';
import type { AdminContext } from './context.js';
import { refuseIfSynced } from './errors.js';
import { getPersonRow } from './people.js';
import { getRole, roleView, type RoleView } from './roles.js';

/** Gives a role to a person (`assign`) or takes it away. Both must be local: a synced one is owned by the upstream. */
export function assignRole(ctx: AdminContext, personId: number, roleId: number, assign: boolean): RoleView {
  refuseIfSynced('person', getPersonRow(ctx, personId));
  const role = getRole(ctx, roleId);
  refuseIfSynced('role', role);
  const memberships = new MembershipRepo(ctx.store.db);
  if (assign) memberships.add(personId, roleId);
  else memberships.remove(personId, roleId);
  return roleView(ctx, role);
}
