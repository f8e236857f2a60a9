/**
 * The decision path's one read: everything about a presented credential, by its keyed digest. Statements are
 * prepared once, because this runs on every key-press submission; an indexed lookup costs a few microseconds.
 * Reads run on the main thread without waiting for the event writer (WAL readers never block on the writer).
 */
import type { AccessFacts, CredentialKind } from '../core/decision.js';
import { CARD_TYPE_ID, PIN_TYPE_ID } from './credential-repo.js';
import type { Db } from './database.js';

interface Row {
  credential_id: string;
  credential_enabled: 0 | 1;
  credential_created: string;
  person_id: number;
  first_name: string;
  last_name: string;
  person_enabled: 0 | 1;
  valid_from: string | null;
  valid_to: string | null;
  emergency: 0 | 1;
  unlock_seconds: number | null;
  uses_remaining?: number | null;
  duress?: 0 | 1;
}

export class AccessRepo {
  private readonly credential;
  private readonly roles;
  private readonly slots;
  private readonly reservations;
  private readonly person;
  private readonly groups;
  private readonly groupSlots;

  constructor(db: Db) {
    this.credential = db.prepare(
      `SELECT c.id AS credential_id, c.enabled AS credential_enabled, c.created_at AS credential_created, c.uses_remaining, c.duress, p.id AS person_id,
              p.first_name, p.last_name, p.enabled AS person_enabled, p.valid_from, p.valid_to, p.emergency, p.unlock_seconds
       FROM credentials c JOIN people p ON p.id = c.person_id WHERE c.credential_type_id = ? AND c.digest = ?`,
    );
    this.person = db.prepare(
      `SELECT id AS person_id, first_name, last_name, enabled AS person_enabled, valid_from, valid_to, emergency, unlock_seconds FROM people WHERE id = ?`,
    );
    this.roles = db.prepare(
      `SELECT r.id, (SELECT json_group_array(door_id) FROM role_doors WHERE role_id = r.id) AS doors
       FROM person_roles pr JOIN roles r ON r.id = pr.role_id WHERE pr.person_id = ?`,
    );
    this.slots = db.prepare(`SELECT days, start_minute, end_minute FROM role_slots WHERE role_id = ?`);
    this.reservations = db.prepare(
      `SELECT start_time, end_time, (SELECT json_group_array(door_id) FROM reservation_doors WHERE reservation_id = r.id) AS doors
       FROM reservations r WHERE person_id = ? AND end_time > ?`,
    );
    // Standing memberships (no window) and group reservations not ended nor deactivated, each with its group's doors.
    this.groups = db.prepare(
      `SELECT g.id, NULL AS start_time, NULL AS end_time, (SELECT json_group_array(door_id) FROM group_doors WHERE group_id = g.id) AS doors
       FROM person_groups pg JOIN access_groups g ON g.id = pg.group_id WHERE pg.person_id = ?
       UNION ALL
       SELECT g.id, gr.start_time, gr.end_time, (SELECT json_group_array(door_id) FROM group_doors WHERE group_id = g.id) AS doors
       FROM group_reservations gr JOIN group_reservation_groups rg ON rg.reservation_id = gr.id JOIN access_groups g ON g.id = rg.group_id
       WHERE gr.person_id = ? AND gr.end_time > ? AND gr.deactivated_at IS NULL`,
    );
    this.groupSlots = db.prepare(`SELECT days, start_minute, end_minute FROM group_slots WHERE group_id = ?`);
  }

  /** Facts for the credential with this digest, or null when none has it. `nowIso` trims ended reservations. */
  lookup(kind: CredentialKind, digest: string, nowIso: string): AccessFacts | null {
    const row = this.credential.get(kind === 'PIN' ? PIN_TYPE_ID : CARD_TYPE_ID, digest) as Row | undefined;
    if (!row) return null;
    return this.facts(
      row,
      {
        id: row.credential_id,
        kind,
        enabled: row.credential_enabled === 1,
        createdAtMs: Date.parse(row.credential_created),
        usesRemaining: row.uses_remaining ?? null,
        duress: row.duress === 1,
      },
      nowIso,
    );
  }

  /**
   * Facts for a remote admission of a person (DoorFlow's admit_person): no credential is presented, so the person's
   * own rules decide (enabled, validity, roles, reservations); null when there is no such person.
   */
  personFacts(personId: number, nowIso: string): AccessFacts | null {
    const row = this.person.get(personId) as Row | undefined;
    if (!row) return null;
    return this.facts(row, { id: 'remote', kind: 'Remote', enabled: true, createdAtMs: 0 }, nowIso);
  }

  private facts(row: Row, credential: AccessFacts['credential'], nowIso: string): AccessFacts {
    const roles = (this.roles.all(row.person_id) as { id: number; doors: string }[]).map((r) => ({
      doors: JSON.parse(r.doors) as number[],
      slots: this.slotsOf(this.slots, r.id),
    }));
    const reservations = (this.reservations.all(row.person_id, nowIso) as { start_time: string; end_time: string; doors: string }[]).map((r) => ({
      startMs: Date.parse(r.start_time),
      endMs: Date.parse(r.end_time),
      doors: JSON.parse(r.doors) as number[],
    }));
    const groups = (
      this.groups.all(row.person_id, row.person_id, nowIso) as { id: number; start_time: string | null; end_time: string | null; doors: string }[]
    ).map((g) => ({
      doors: JSON.parse(g.doors) as number[],
      slots: this.slotsOf(this.groupSlots, g.id),
      window: g.start_time === null || g.end_time === null ? null : { startMs: Date.parse(g.start_time), endMs: Date.parse(g.end_time) },
    }));
    const ms = (t: string | null) => (t === null ? null : Date.parse(t));
    return {
      credential,
      person: {
        id: row.person_id,
        name: `${row.first_name} ${row.last_name}`,
        enabled: row.person_enabled === 1,
        validFromMs: ms(row.valid_from),
        validToMs: ms(row.valid_to),
        emergency: row.emergency === 1,
        unlockMs: row.unlock_seconds === null ? null : row.unlock_seconds * 1000,
      },
      roles,
      reservations,
      groups,
    };
  }

  private slotsOf(statement: typeof this.groupSlots, id: number) {
    return (statement.all(id) as { days: number; start_minute: number; end_minute: number }[]).map((s) => ({
      days: s.days,
      startMinute: s.start_minute,
      endMinute: s.end_minute,
    }));
  }
}
