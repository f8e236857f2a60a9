/**
 * SQL for role membership (`person_roles`): who holds which role. The one writer of it for local changes (the CLI,
 * the API and the console add, remove and replace through here); a pull swaps synced people's roles set-based in
 * sync-apply.ts, in the same transaction as the people themselves.
 */
import type { Db } from './database.js';

export class MembershipRepo {
  constructor(private readonly db: Db) {}

  /** Gives the person the role; false when they held it already. */
  add(personId: number, roleId: number): boolean {
    return this.db.prepare(`INSERT OR IGNORE INTO person_roles (person_id, role_id) VALUES (?, ?)`).run(personId, roleId).changes === 1;
  }

  /** Takes the role from the person; false when they did not hold it. */
  remove(personId: number, roleId: number): boolean {
    return this.db.prepare(`DELETE FROM person_roles WHERE person_id = ? AND role_id = ?`).run(personId, roleId).changes === 1;
  }

  /** Makes the person's roles exactly these (duplicates ignored). Call inside the transaction that checked them. */
  replace(personId: number, roleIds: readonly number[]): void {
    this.db.prepare(`DELETE FROM person_roles WHERE person_id = ?`).run(personId);
    const add = this.db.prepare(`INSERT OR IGNORE INTO person_roles (person_id, role_id) VALUES (?, ?)`);
    for (const roleId of roleIds) add.run(personId, roleId);
  }

  /** The person's role ids, ascending. */
  rolesOf(personId: number): number[] {
    return (this.db.prepare(`SELECT role_id FROM person_roles WHERE person_id = ? ORDER BY role_id`).all(personId) as { role_id: number }[]).map(
      (r) => r.role_id,
    );
  }

  /** How many people hold the role. */
  holders(roleId: number): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM person_roles WHERE role_id = ?`).get(roleId) as { n: number }).n;
  }
}
