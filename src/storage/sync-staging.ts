/**
 * Where a pull puts what it fetched before anything changes: TEMP tables on the sync connection, so a 100,000-person
 * pull sits on disk pages, not in the heap, and a pull that fails half-way is simply dropped.
 * The UNIQUE indexes find duplicates within the upstream's own data (two people with one PIN).
 */
import type { Slot } from '../core/schedule.js';
import type { CredentialRow } from './credential-repo.js';
import type { Db } from './database.js';
import type { PersonRow } from './people-repo.js';

/** A person as stored, keyed by the upstream's id, with the upstream role and group ids ("role:2", "group:5"). */
export type StagedPerson = Omit<PersonRow, 'id' | 'upstream_id' | 'created_at' | 'updated_at'> & { upstream_id: number; keys: string[] };

/** A credential as stored, keyed by the upstream's ids (its own and its person's). */
export type StagedCredential = Omit<CredentialRow, 'id' | 'person_id' | 'upstream_id' | 'created_at' | 'updated_at'> & {
  upstream_id: string;
  person_upstream: number;
};

export interface StagedReservation {
  upstream_id: number;
  person_upstream: number;
  start_time: string;
  end_time: string;
  /** Local door ids, sorted; empty when no channel of it is mapped here. */
  doors: number[];
}

/** An upstream group that `sync.doors` maps to doors here. */
export interface StagedGroup {
  upstream_id: number;
  name: string;
  notes: string | null;
  /** Local door ids, sorted; never empty (an unmapped group is not staged). */
  doors: number[];
  slots: Slot[];
}

export interface StagedGroupReservation {
  upstream_id: number;
  person_upstream: number;
  start_time: string;
  end_time: string;
  /** Upstream group ids, sorted: only groups staged in this pull. */
  groups: number[];
}

export interface StagedRole {
  upstream_id: string;
  name: string;
  slots: Slot[];
}

export class Staging {
  private readonly put;

  constructor(private readonly db: Db) {
    db.exec(`
      DROP TABLE IF EXISTS temp.s_people; DROP TABLE IF EXISTS temp.s_credentials;
      DROP TABLE IF EXISTS temp.s_reservations; DROP TABLE IF EXISTS temp.s_roles;
      DROP TABLE IF EXISTS temp.s_groups; DROP TABLE IF EXISTS temp.s_group_reservations;
      CREATE TEMP TABLE s_groups (upstream_id INTEGER PRIMARY KEY, name TEXT NOT NULL, notes TEXT, doors TEXT NOT NULL, slots TEXT NOT NULL);
      CREATE TEMP TABLE s_group_reservations (
        upstream_id INTEGER PRIMARY KEY, person_upstream INTEGER NOT NULL, start_time TEXT NOT NULL, end_time TEXT NOT NULL, groups TEXT NOT NULL);
      CREATE TEMP TABLE s_roles (upstream_id TEXT PRIMARY KEY, name TEXT NOT NULL, doors TEXT NOT NULL, slots TEXT NOT NULL);
      CREATE TEMP TABLE s_people (
        upstream_id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT,
        enabled INTEGER NOT NULL, valid_from TEXT, valid_to TEXT, notes TEXT, role_keys TEXT NOT NULL, group_ups TEXT NOT NULL);
      CREATE TEMP TABLE s_credentials (
        upstream_id TEXT PRIMARY KEY, person_upstream INTEGER NOT NULL, credential_type_id INTEGER NOT NULL,
        value TEXT, digest TEXT NOT NULL, pin_length INTEGER, enabled INTEGER NOT NULL);
      CREATE UNIQUE INDEX temp.s_credentials_value ON s_credentials (credential_type_id, digest);
      CREATE UNIQUE INDEX temp.s_credentials_one_per_type ON s_credentials (person_upstream, credential_type_id);
      CREATE TEMP TABLE s_reservations (
        upstream_id INTEGER PRIMARY KEY, person_upstream INTEGER NOT NULL, start_time TEXT NOT NULL, end_time TEXT NOT NULL,
        doors TEXT NOT NULL);
    `);
    this.put = {
      role: db.prepare(`INSERT INTO s_roles VALUES (@upstream_id, @name, @doors, @slots)`),
      person: db.prepare(
        `INSERT INTO s_people VALUES (@upstream_id, @first_name, @last_name, @email, @enabled, @valid_from, @valid_to, @notes, @role_keys, @group_ups)`,
      ),
      credential: db.prepare(
        `INSERT INTO s_credentials VALUES (@upstream_id, @person_upstream, @credential_type_id, @value, @digest, @pin_length, @enabled)`,
      ),
      reservation: db.prepare(`INSERT INTO s_reservations VALUES (@upstream_id, @person_upstream, @start_time, @end_time, @doors)`),
      group: db.prepare(`INSERT INTO s_groups VALUES (@upstream_id, @name, @notes, @doors, @slots)`),
      groupReservation: db.prepare(`INSERT INTO s_group_reservations VALUES (@upstream_id, @person_upstream, @start_time, @end_time, @groups)`),
    };
  }

  role(r: StagedRole, doors: number[]): void {
    this.put.role.run({ upstream_id: r.upstream_id, name: r.name, doors: JSON.stringify(doors), slots: JSON.stringify(r.slots) });
  }

  group(g: StagedGroup): string | null {
    return this.insert(() => this.put.group.run({ ...g, doors: JSON.stringify(g.doors), slots: JSON.stringify(g.slots) }), {
      '.upstream_id': 'a second group with this id',
    });
  }

  groupReservation(r: StagedGroupReservation): string | null {
    return this.insert(() => this.put.groupReservation.run({ ...r, groups: JSON.stringify(r.groups) }), {
      '.upstream_id': 'a second group reservation with this id',
    });
  }

  /**
   * Why the row cannot be staged (a duplicate within the upstream's data), or null when it is staged. Its mapped
   * "role:<id>" keys become role links, its mapped "group:<id>" keys group memberships.
   */
  person(p: StagedPerson, mappedKeys: ReadonlySet<string>): string | null {
    const { keys, ...row } = p;
    const mine = keys.filter((k) => mappedKeys.has(k));
    const roleKeys = mine.filter((k) => k.startsWith('role:'));
    const groupUps = mine
      .filter((k) => k.startsWith('group:'))
      .map((k) => Number(k.slice(6)))
      .sort((a, b) => a - b);
    return this.insert(() => this.put.person.run({ ...row, role_keys: JSON.stringify(roleKeys), group_ups: JSON.stringify(groupUps) }), {
      '.upstream_id': 'a second person with this id',
    });
  }

  credential(c: StagedCredential): string | null {
    return this.insert(() => this.put.credential.run(c), {
      '.digest': 'another upstream credential has the same value',
      '.person_upstream': 'a second credential of this type for one person (one PIN and one card each here)',
      '.upstream_id': 'a second credential with this id',
    });
  }

  reservation(r: StagedReservation): string | null {
    return this.insert(() => this.put.reservation.run({ ...r, doors: JSON.stringify(r.doors) }), {
      '.upstream_id': 'a second reservation with this id',
    });
  }

  /**
   * Stages one page of records in one transaction of the temp tables: about half the cost of an implicit
   * transaction per row (bench scenario 10). It takes no lock on the main database, so the door and the event writer
   * carry on; a duplicate row is refused by its own statement and the rest of the page stays.
   */
  batch(stagePage: () => void): void {
    this.db.transaction(stagePage)();
  }

  drop(): void {
    this.db.exec(`DROP TABLE IF EXISTS temp.s_people; DROP TABLE IF EXISTS temp.s_credentials;
      DROP TABLE IF EXISTS temp.s_reservations; DROP TABLE IF EXISTS temp.s_roles;
      DROP TABLE IF EXISTS temp.s_groups; DROP TABLE IF EXISTS temp.s_group_reservations;`);
  }

  /** `reasons` maps a column named in SQLite's "UNIQUE constraint failed: <table>.<column>" to what it means. */
  private insert(run: () => void, reasons: Record<string, string>): string | null {
    try {
      run();
      return null;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE' && (err as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw err;
      const msg = (err as Error).message;
      for (const [column, reason] of Object.entries(reasons)) if (msg.includes(column)) return reason;
      return 'a duplicate';
    }
  }
}
