/**
 * Swaps the staged pull into the cache in one IMMEDIATE transaction: roles, people, their roles, credentials and
 * reservations, or nothing. Only synced rows (upstream_id set) are touched, with one exception: a local credential
 * whose value the upstream has given to one of its people is removed (the synced one wins) and reported as a clash.
 * Set-based SQL keeps 100,000 people to a few seconds of one worker thread; WAL readers (the door) never wait.
 */
import type { Db } from './database.js';
import { applyGroupMemberships, applyGroupReservations, applyGroups, GROUPS_DIFFER } from './sync-apply-groups.js';

export interface Change {
  added: number;
  changed: number;
  removed: number;
}

export interface Applied {
  people: Change;
  credentials: Change;
  reservations: Change;
  roles: Change;
  groups: Change;
  group_reservations: Change;
  clashes: { local_credential_id: string; local_person_id: number; credential_type_id: number; upstream_credential_id: string }[];
}

export class DeleteRefusedError extends Error {
  override name = 'DeleteRefusedError';
  constructor(
    readonly what: 'people' | 'credentials',
    readonly removing: number,
    readonly of: number,
    fraction: number,
  ) {
    super(
      `the pull would remove ${removing} of ${of} synced ${what} (more than ${Math.round(fraction * 100)}%, sync.max_delete_fraction): ` +
        `refused, nothing changed. If the upstream really did remove them, run \`keypadd sync run --force\``,
    );
  }
}

/** Below this many removals the guard stays quiet: deleting 3 of 5 visitors is an admin's day, not an upstream bug. */
export const DELETE_GUARD_MIN = 10;

export interface ApplyOptions {
  full: boolean;
  now: string;
  maxDeleteFraction: number;
  force: boolean;
}

const n = (db: Db, sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;

// A synced person's fields as staged vs as stored.
const PERSON_DIFFERS = `(p.first_name IS NOT s.first_name OR p.last_name IS NOT s.last_name OR p.email IS NOT s.email
  OR p.enabled IS NOT s.enabled OR p.valid_from IS NOT s.valid_from OR p.valid_to IS NOT s.valid_to OR p.notes IS NOT s.notes
  OR s.role_keys IS NOT (SELECT json_group_array(k) FROM (SELECT r.upstream_id AS k FROM person_roles pr JOIN roles r ON r.id = pr.role_id
     WHERE pr.person_id = p.id AND r.upstream_id IS NOT NULL ORDER BY 1)) OR ${GROUPS_DIFFER})`;

// A stored synced credential that the staged one with its id still is (same value, type and person).
const CREDENTIAL_SAME = `EXISTS (SELECT 1 FROM s_credentials s JOIN people p ON p.upstream_id = s.person_upstream
  WHERE s.upstream_id = c.upstream_id AND s.digest = c.digest AND s.credential_type_id = c.credential_type_id AND p.id = c.person_id)`;

const RESERVATION_SAME = `EXISTS (SELECT 1 FROM s_reservations s JOIN people p ON p.upstream_id = s.person_upstream
  WHERE s.upstream_id = v.upstream_id AND p.id = v.person_id AND s.start_time = v.start_time AND s.end_time = v.end_time
  AND s.doors = (SELECT json_group_array(door_id) FROM (SELECT door_id FROM reservation_doors WHERE reservation_id = v.id ORDER BY 1)))`;

export function applyStaged(db: Db, o: ApplyOptions): Applied {
  return db
    .transaction(() => {
      const out: Applied = {
        people: zero(),
        credentials: zero(),
        reservations: zero(),
        roles: zero(),
        groups: zero(),
        group_reservations: zero(),
        clashes: [],
      };

      // The guard first: counted before anything moves.
      const syncedPeople = n(db, `SELECT count(*) AS n FROM people WHERE upstream_id IS NOT NULL`);
      const goingPeople = o.full
        ? n(db, `SELECT count(*) AS n FROM people WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_people)`)
        : 0;
      const syncedCreds = n(db, `SELECT count(*) AS n FROM credentials WHERE upstream_id IS NOT NULL`);
      const goingCreds = n(
        db,
        `SELECT count(*) AS n FROM credentials WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_credentials)`,
      );
      if (!o.force) {
        for (const [what, going, of] of [
          ['people', goingPeople, syncedPeople],
          ['credentials', goingCreds, syncedCreds],
        ] as const) {
          if (going >= DELETE_GUARD_MIN && going > of * o.maxDeleteFraction) throw new DeleteRefusedError(what, going, of, o.maxDeleteFraction);
        }
      }

      applyRoles(db, o, out.roles);
      applyGroups(db, o.now, out.groups);

      out.people.removed = goingPeople;
      if (o.full) db.prepare(`DELETE FROM people WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_people)`).run();
      out.people.changed = db
        .prepare(
          `UPDATE people AS p SET first_name = s.first_name, last_name = s.last_name, email = s.email, enabled = s.enabled,
           valid_from = s.valid_from, valid_to = s.valid_to, notes = s.notes, updated_at = ?
         FROM s_people s WHERE p.upstream_id = s.upstream_id AND ${PERSON_DIFFERS}`,
        )
        .run(o.now).changes;
      out.people.added = db
        .prepare(
          `INSERT INTO people (first_name, last_name, email, enabled, valid_from, valid_to, notes, upstream_id, created_at, updated_at)
         SELECT first_name, last_name, email, enabled, valid_from, valid_to, notes, upstream_id, @now, @now FROM s_people s
         WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.upstream_id = s.upstream_id)`,
        )
        .run({ now: o.now }).changes;
      // Role changes alone make a person "changed" too (PERSON_DIFFERS compares them); rewrite the staged people's roles.
      db.prepare(`DELETE FROM person_roles WHERE person_id IN (SELECT p.id FROM people p JOIN s_people s ON s.upstream_id = p.upstream_id)`).run();
      db.prepare(
        `INSERT INTO person_roles (person_id, role_id)
       SELECT p.id, r.id FROM s_people s JOIN people p ON p.upstream_id = s.upstream_id, json_each(s.role_keys) j
       JOIN roles r ON r.upstream_id = j.value`,
      ).run();
      applyGroupMemberships(db);

      out.clashes = db
        .prepare(
          `SELECT c.id AS local_credential_id, c.person_id AS local_person_id, c.credential_type_id, s.upstream_id AS upstream_credential_id
         FROM s_credentials s JOIN credentials c ON c.credential_type_id = s.credential_type_id AND c.digest = s.digest
         WHERE c.upstream_id IS NULL`,
        )
        .all() as Applied['clashes'];
      const dropLocal = db.prepare(`DELETE FROM credentials WHERE id = ?`);
      for (const c of out.clashes) dropLocal.run(c.local_credential_id);

      // A credential whose value, type or person changed upstream is replaced (values never change in place here).
      // Counted against what is still there: a removed person's credentials went with them (ON DELETE CASCADE).
      const goingCredsNow = n(
        db,
        `SELECT count(*) AS n FROM credentials WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_credentials)`,
      );
      const replacedCreds =
        db.prepare(`DELETE FROM credentials AS c WHERE c.upstream_id IS NOT NULL AND NOT ${CREDENTIAL_SAME}`).run().changes - goingCredsNow;
      const insertedCreds = db
        .prepare(
          `INSERT INTO credentials (id, person_id, credential_type_id, value, digest, pin_length, enabled, upstream_id, created_at, updated_at)
         SELECT 'cred_' || lower(hex(randomblob(12))), p.id, s.credential_type_id, s.value, s.digest, s.pin_length, s.enabled, s.upstream_id, @now, @now
         FROM s_credentials s JOIN people p ON p.upstream_id = s.person_upstream
         WHERE NOT EXISTS (SELECT 1 FROM credentials c WHERE c.upstream_id = s.upstream_id)`,
        )
        .run({ now: o.now }).changes;
      const toggled = db
        .prepare(
          `UPDATE credentials AS c SET enabled = s.enabled, updated_at = ? FROM s_credentials s
         WHERE c.upstream_id = s.upstream_id AND c.enabled IS NOT s.enabled`,
        )
        .run(o.now).changes;
      out.credentials = { added: insertedCreds - replacedCreds, changed: replacedCreds + toggled, removed: goingCreds };

      const goingRes = n(
        db,
        `SELECT count(*) AS n FROM reservations WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_reservations)`,
      );
      const replacedRes =
        db.prepare(`DELETE FROM reservations AS v WHERE v.upstream_id IS NOT NULL AND NOT ${RESERVATION_SAME}`).run().changes - goingRes;
      const insertedRes = db
        .prepare(
          `INSERT INTO reservations (person_id, start_time, end_time, upstream_id, created_at, updated_at)
         SELECT p.id, s.start_time, s.end_time, s.upstream_id, @now, @now FROM s_reservations s JOIN people p ON p.upstream_id = s.person_upstream
         WHERE NOT EXISTS (SELECT 1 FROM reservations v WHERE v.upstream_id = s.upstream_id)`,
        )
        .run({ now: o.now }).changes;
      // Staged reservations always name doors (one with none is not staged): no rows would mean every door.
      db.prepare(
        `INSERT INTO reservation_doors (reservation_id, door_id)
       SELECT v.id, j.value FROM s_reservations s JOIN reservations v ON v.upstream_id = s.upstream_id, json_each(s.doors) j
       WHERE NOT EXISTS (SELECT 1 FROM reservation_doors d WHERE d.reservation_id = v.id)`,
      ).run();
      out.reservations = { added: insertedRes - replacedRes, changed: replacedRes, removed: goingRes };
      applyGroupReservations(db, o.now, out.group_reservations);
      return out;
    })
    .immediate();
}

function applyRoles(db: Db, o: ApplyOptions, out: Change): void {
  out.removed = db.prepare(`DELETE FROM roles WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_roles)`).run().changes;
  const staged = db.prepare(`SELECT upstream_id, name, doors, slots FROM s_roles`).all() as {
    upstream_id: string;
    name: string;
    doors: string;
    slots: string;
  }[];
  const find = db.prepare(`SELECT id, name FROM roles WHERE upstream_id = ?`);
  for (const r of staged) {
    // Upstream names may repeat local ones; the suffix keeps the UNIQUE name and says where the role comes from.
    const name = `${r.name} (upstream ${r.upstream_id.replace(':', ' ')})`;
    const existing = find.get(r.upstream_id) as { id: number; name: string } | undefined;
    let id: number;
    if (existing) {
      id = existing.id;
      const sameDoors = db
        .prepare(`SELECT json_group_array(door_id) AS d FROM (SELECT door_id FROM role_doors WHERE role_id = ? ORDER BY 1)`)
        .get(id) as { d: string };
      const sameSlots = db
        .prepare(
          `SELECT json_group_array(json_object('days', days, 'startMinute', start_minute, 'endMinute', end_minute)) AS s FROM (SELECT * FROM role_slots WHERE role_id = ? ORDER BY id)`,
        )
        .get(id) as { s: string };
      if (existing.name === name && sameDoors.d === r.doors && sameSlots.s === r.slots) continue;
      out.changed++;
      db.prepare(`UPDATE roles SET name = ?, updated_at = ? WHERE id = ?`).run(name, o.now, id);
      db.prepare(`DELETE FROM role_doors WHERE role_id = ?`).run(id);
      db.prepare(`DELETE FROM role_slots WHERE role_id = ?`).run(id);
    } else {
      out.added++;
      id = Number(
        db.prepare(`INSERT INTO roles (name, upstream_id, created_at, updated_at) VALUES (?, ?, ?, ?)`).run(name, r.upstream_id, o.now, o.now)
          .lastInsertRowid,
      );
    }
    // A synced role always names its doors: no rows would mean every door.
    db.prepare(`INSERT INTO role_doors (role_id, door_id) SELECT ?, value FROM json_each(?)`).run(id, r.doors);
    db.prepare(
      `INSERT INTO role_slots (role_id, days, start_minute, end_minute) SELECT ?, value ->> 'days', value ->> 'startMinute', value ->> 'endMinute' FROM json_each(?)`,
    ).run(id, r.slots);
  }
}

const zero = (): Change => ({ added: 0, changed: 0, removed: 0 });
