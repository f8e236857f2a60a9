/**
 * The group part of applying a pull (sync-apply.ts calls these inside its one transaction): the mapped upstream
 * groups into `access_groups` with their local doors, synced people's memberships, and group reservations. Only
 * synced rows (upstream_id set) are touched; local groups and their members are left as they are.
 */
import type { Change } from './sync-apply.js';
import type { Db } from './database.js';

/** Groups staged this pull are made or brought up to date; synced groups no longer staged are removed. */
export function applyGroups(db: Db, now: string, out: Change): void {
  out.removed = db
    .prepare(`DELETE FROM access_groups WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_groups)`)
    .run().changes;
  const staged = db.prepare(`SELECT upstream_id, name, notes, doors, slots FROM s_groups`).all() as {
    upstream_id: number;
    name: string;
    notes: string | null;
    doors: string;
    slots: string;
  }[];
  const find = db.prepare(`SELECT id, name, notes FROM access_groups WHERE upstream_id = ?`);
  const doorsOf = db.prepare(`SELECT json_group_array(door_id) AS d FROM (SELECT door_id FROM group_doors WHERE group_id = ? ORDER BY 1)`);
  const slotsOf = db.prepare(
    `SELECT json_group_array(json_object('days', days, 'startMinute', start_minute, 'endMinute', end_minute)) AS s
     FROM (SELECT * FROM group_slots WHERE group_id = ? ORDER BY id)`,
  );
  for (const g of staged) {
    // Upstream names may repeat local ones; the suffix keeps the UNIQUE name and says where the group comes from.
    const name = `${g.name} (upstream group ${g.upstream_id})`;
    const existing = find.get(g.upstream_id) as { id: number; name: string; notes: string | null } | undefined;
    let id: number;
    if (existing) {
      id = existing.id;
      const same =
        existing.name === name &&
        existing.notes === g.notes &&
        (doorsOf.get(id) as { d: string }).d === g.doors &&
        (slotsOf.get(id) as { s: string }).s === g.slots;
      if (same) continue;
      out.changed++;
      db.prepare(`UPDATE access_groups SET name = ?, notes = ?, updated_at = ? WHERE id = ?`).run(name, g.notes, now, id);
      db.prepare(`DELETE FROM group_doors WHERE group_id = ?`).run(id);
      db.prepare(`DELETE FROM group_slots WHERE group_id = ?`).run(id);
    } else {
      out.added++;
      id = Number(
        db
          .prepare(`INSERT INTO access_groups (name, notes, upstream_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`)
          .run(name, g.notes, g.upstream_id, now, now).lastInsertRowid,
      );
    }
    // A synced group always names its doors (from sync.doors): no rows would mean every door.
    db.prepare(`INSERT INTO group_doors (group_id, door_id) SELECT ?, value FROM json_each(?)`).run(id, g.doors);
    db.prepare(
      `INSERT INTO group_slots (group_id, days, start_minute, end_minute)
       SELECT ?, value ->> 'days', value ->> 'startMinute', value ->> 'endMinute' FROM json_each(?)`,
    ).run(id, g.slots);
  }
}

/** A staged person's synced groups, as compared with what is stored (sync-apply's PERSON_DIFFERS uses it). */
export const GROUPS_DIFFER = `s.group_ups IS NOT (SELECT json_group_array(u) FROM (SELECT g.upstream_id AS u FROM person_groups pg
  JOIN access_groups g ON g.id = pg.group_id WHERE pg.person_id = p.id AND g.upstream_id IS NOT NULL ORDER BY 1))`;

/** Rewrites the staged people's memberships of synced groups. */
export function applyGroupMemberships(db: Db): void {
  db.prepare(
    `DELETE FROM person_groups WHERE group_id IN (SELECT id FROM access_groups WHERE upstream_id IS NOT NULL)
     AND person_id IN (SELECT p.id FROM people p JOIN s_people s ON s.upstream_id = p.upstream_id)`,
  ).run();
  db.prepare(
    `INSERT OR IGNORE INTO person_groups (person_id, group_id)
     SELECT p.id, g.id FROM s_people s JOIN people p ON p.upstream_id = s.upstream_id, json_each(s.group_ups) j
     JOIN access_groups g ON g.upstream_id = j.value`,
  ).run();
}

// A stored synced group reservation that the staged one with its id still is (same person, times and groups).
const SAME = `EXISTS (SELECT 1 FROM s_group_reservations s JOIN people p ON p.upstream_id = s.person_upstream
  WHERE s.upstream_id = v.upstream_id AND p.id = v.person_id AND s.start_time = v.start_time AND s.end_time = v.end_time
  AND s.groups = (SELECT json_group_array(u) FROM (SELECT g.upstream_id AS u FROM group_reservation_groups rg
    JOIN access_groups g ON g.id = rg.group_id WHERE rg.reservation_id = v.id ORDER BY 1)))`;

/**
 * Group reservations are listed in full every pull (sync/group-pull.ts says why): one no longer listed is removed,
 * one changed is replaced.
 */
export function applyGroupReservations(db: Db, now: string, out: Change): void {
  const going = (
    db
      .prepare(
        `SELECT count(*) AS n FROM group_reservations WHERE upstream_id IS NOT NULL AND upstream_id NOT IN (SELECT upstream_id FROM s_group_reservations)`,
      )
      .get() as { n: number }
  ).n;
  const replaced = db.prepare(`DELETE FROM group_reservations AS v WHERE v.upstream_id IS NOT NULL AND NOT ${SAME}`).run().changes - going;
  const inserted = db
    .prepare(
      `INSERT INTO group_reservations (person_id, start_time, end_time, upstream_id, created_at, updated_at)
       SELECT p.id, s.start_time, s.end_time, s.upstream_id, @now, @now FROM s_group_reservations s JOIN people p ON p.upstream_id = s.person_upstream
       WHERE NOT EXISTS (SELECT 1 FROM group_reservations v WHERE v.upstream_id = s.upstream_id)`,
    )
    .run({ now }).changes;
  db.prepare(
    `INSERT OR IGNORE INTO group_reservation_groups (reservation_id, group_id)
     SELECT v.id, g.id FROM s_group_reservations s JOIN group_reservations v ON v.upstream_id = s.upstream_id, json_each(s.groups) j
     JOIN access_groups g ON g.upstream_id = j.value`,
  ).run();
  Object.assign(out, { added: inserted - replaced, changed: replaced, removed: going });
}
