/**
 * Upstream records, checked one by one and turned into the rows a pull stages. A record that fails is skipped with
 * the field and the reason, never its value (a PIN must not reach a log). The shapes are DoorFlow API v3's, with
 * keypadd's own role `schedule` understood too, so one keypadd can sync from another.
 */
import { z } from 'zod';
import { parseCardNumber } from '../core/card-number.js';
import { isGenerateRequest, pinFormatError, pinWeakness, type PinRules } from '../core/pin-rules.js';
import { parseSlot, type Slot } from '../core/schedule.js';
import { toIsoSeconds } from '../core/site-time.js';
import { controlCharProblem } from '../core/text.js';
import { CARD_TYPE_ID, PIN_TYPE_ID } from '../storage/credential-repo.js';
import type { StagedCredential, StagedGroup, StagedGroupReservation, StagedPerson, StagedReservation, StagedRole } from '../storage/sync-staging.js';

export type Checked<T> = { ok: true; row: T } | { ok: false; field: string; reason: string };

const id = z.int().min(1);
const time = z.union([z.string(), z.null()]).optional();

/** Text an upstream sends reaches log lines and terminals here: refused with a control character in it. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => controlCharProblem(v) === null, { error: () => controlCharProblem('\n')! });

const person = z.looseObject({
  id,
  first_name: text(200),
  last_name: text(200),
  email: text(320).nullable().optional(),
  enabled: z.boolean().optional(),
  valid_from: time,
  valid_to: time,
  notes: text(2000).nullable().optional(),
  roles: z.array(z.union([id, z.looseObject({ id })])).optional(),
  role_ids: z.array(id).optional(),
  groups: z.array(z.union([id, z.looseObject({ id })])).optional(),
});

const credential = z.looseObject({
  id: z.union([z.string().min(1).max(100), id]),
  person_id: id,
  credential_type_id: z.int(),
  value: z.string().max(100).nullable().optional(),
  enabled: z.boolean().optional(),
  status: z.string().nullable().optional(),
});

const reservation = z.looseObject({
  id,
  person_id: id,
  start_time: z.string(),
  end_time: z.string(),
  channel_ids: z.array(id),
});

const group = z.looseObject({
  id,
  name: text(200).pipe(z.string().min(1)),
  notes: text(2000).nullable().optional(),
  // keypadd's addition (a keypadd upstream): the group's weekly slots.
  schedule: z.array(z.string()).optional(),
});

const groupReservation = z.looseObject({
  id,
  person_id: id,
  start_time: z.string(),
  end_time: z.string(),
  state: z.string().optional(),
  group_ids: z.array(id),
});

const role = z.looseObject({
  id,
  name: text(200).pipe(z.string().min(1)),
  shift_id: id.nullable().optional(),
  schedule: z.array(z.string()).optional(),
});

/** The first problem zod found, as field and reason. */
function problem(err: z.ZodError): { ok: false; field: string; reason: string } {
  const issue = err.issues[0]!;
  return { ok: false, field: issue.path.join('.') || 'record', reason: issue.message };
}

/** An ISO time with or without offset, to the UTC second; null stays null. */
function isoOrNull(v: string | null | undefined): string | null | undefined {
  if (v === null || v === undefined || v === '') return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : toIsoSeconds(ms);
}

const idsOf = (list: (number | { id: number })[] | undefined) => (list ?? []).map((x) => (typeof x === 'number' ? x : x.id));

export function checkPerson(raw: unknown): Checked<StagedPerson> {
  const r = person.safeParse(raw);
  if (!r.success) return problem(r.error);
  const p = r.data;
  const from = isoOrNull(p.valid_from);
  const to = isoOrNull(p.valid_to);
  if (from === undefined) return { ok: false, field: 'valid_from', reason: 'not a date-time' };
  if (to === undefined) return { ok: false, field: 'valid_to', reason: 'not a date-time' };
  const roles = [...new Set([...idsOf(p.roles), ...(p.role_ids ?? [])])].map((n) => `role:${n}`);
  const groups = [...new Set(idsOf(p.groups))].map((n) => `group:${n}`);
  return {
    ok: true,
    row: {
      upstream_id: p.id,
      first_name: p.first_name,
      last_name: p.last_name,
      email: p.email?.trim() || null,
      enabled: p.enabled === false ? 0 : 1,
      valid_from: from,
      valid_to: to,
      notes: p.notes ?? null,
      keys: [...roles, ...groups].sort(),
    },
  };
}

export interface CredentialRules {
  pin: Pick<PinRules, 'min_length' | 'max_length' | 'weak_pins'>;
  /** Keep PIN values (plaintext storage) or only their digests. */
  keepPinValue: boolean;
  digest: (value: string) => string;
}

/** Card and PIN credentials; other types (mobile, ...) are not for a keypad and are skipped as such. */
export function checkCredential(raw: unknown, rules: CredentialRules): Checked<StagedCredential> {
  const r = credential.safeParse(raw);
  if (!r.success) return problem(r.error);
  const c = r.data;
  const type = c.credential_type_id;
  if (type !== PIN_TYPE_ID && type !== CARD_TYPE_ID)
    return { ok: false, field: 'credential_type_id', reason: `type ${type} is not a PIN (6) or card (5)` };
  const value = c.value ?? '';
  const enabled = c.enabled === false || c.status === 'revoked' || c.status === 'revoking' ? 0 : 1;
  const base = { upstream_id: String(c.id), person_upstream: c.person_id, credential_type_id: type, enabled } as const;
  if (type === CARD_TYPE_ID) {
    const card = parseCardNumber(value);
    if (!card.ok) return { ok: false, field: 'value', reason: `card number ${card.message}` };
    return { ok: true, row: { ...base, value: card.number, digest: rules.digest(card.number), pin_length: null } };
  }
  if (value === '' || isGenerateRequest(value))
    return { ok: false, field: 'value', reason: 'the upstream does not disclose this PIN (masked or empty)' };
  const bad = pinFormatError(value, rules.pin);
  if (bad) return { ok: false, field: 'value', reason: `PIN ${bad}` };
  if (rules.pin.weak_pins === 'reject') {
    const weak = pinWeakness(value);
    if (weak) return { ok: false, field: 'value', reason: `weak PIN (it ${weak}) and pin_policy.weak_pins is reject` };
  }
  return { ok: true, row: { ...base, value: rules.keepPinValue ? value : null, digest: rules.digest(value), pin_length: value.length } };
}

/** `doorsFor` maps an upstream channel id to local doors. */
export function checkReservation(raw: unknown, doorsFor: (channel: number) => number[]): Checked<StagedReservation> {
  const r = reservation.safeParse(raw);
  if (!r.success) return problem(r.error);
  const v = r.data;
  const start = isoOrNull(v.start_time);
  const end = isoOrNull(v.end_time);
  if (!start) return { ok: false, field: 'start_time', reason: 'not a date-time' };
  if (!end) return { ok: false, field: 'end_time', reason: 'not a date-time' };
  if (end <= start) return { ok: false, field: 'end_time', reason: 'must be after start_time' };
  const doors = [...new Set(v.channel_ids.flatMap(doorsFor))].sort((a, b) => a - b);
  return { ok: true, row: { upstream_id: v.id, person_upstream: v.person_id, start_time: start, end_time: end, doors } };
}

/**
 * A role's weekly slots: keypadd's `schedule`, else its shift from `sync.shifts`, else 24/7 when it has no shift.
 * A shift this controller does not know is refused rather than widened to 24/7.
 */
export function checkRole(raw: unknown, shifts: Map<number, Slot[]>): Checked<StagedRole> {
  const r = role.safeParse(raw);
  if (!r.success) return problem(r.error);
  const v = r.data;
  let slots: Slot[] = [];
  if (v.schedule) {
    for (const spec of v.schedule) {
      const s = parseSlot(spec);
      if (!s.ok) return { ok: false, field: 'schedule', reason: s.message };
      slots.push(s.slot);
    }
  } else if (v.shift_id !== null && v.shift_id !== undefined) {
    const known = shifts.get(v.shift_id);
    if (!known) return { ok: false, field: 'shift_id', reason: `shift ${v.shift_id} is not in sync.shifts, so its hours are unknown here` };
    slots = known;
  }
  return { ok: true, row: { upstream_id: `role:${v.id}`, name: v.name, slots } };
}

/**
 * An upstream group: DoorFlow's has no hours (24/7 where `sync.doors` maps it); a keypadd upstream's carries its
 * `schedule`, kept, so a group limited upstream is never widened here.
 */
export function checkGroup(raw: unknown): Checked<Omit<StagedGroup, 'doors'>> {
  const r = group.safeParse(raw);
  if (!r.success) return problem(r.error);
  const slots: Slot[] = [];
  for (const spec of r.data.schedule ?? []) {
    const s = parseSlot(spec);
    if (!s.ok) return { ok: false, field: 'schedule', reason: s.message };
    slots.push(s.slot);
  }
  return { ok: true, row: { upstream_id: r.data.id, name: r.data.name, notes: r.data.notes ?? null, slots } };
}

/** A group reservation with its upstream group ids; `deactivated` ones come back as such (the caller drops them). */
export function checkGroupReservation(raw: unknown): Checked<StagedGroupReservation & { deactivated: boolean }> {
  const r = groupReservation.safeParse(raw);
  if (!r.success) return problem(r.error);
  const v = r.data;
  const start = isoOrNull(v.start_time);
  const end = isoOrNull(v.end_time);
  if (!start) return { ok: false, field: 'start_time', reason: 'not a date-time' };
  if (!end) return { ok: false, field: 'end_time', reason: 'not a date-time' };
  if (end <= start) return { ok: false, field: 'end_time', reason: 'must be after start_time' };
  const groups = [...new Set(v.group_ids)].sort((a, b) => a - b);
  return {
    ok: true,
    row: { upstream_id: v.id, person_upstream: v.person_id, start_time: start, end_time: end, groups, deactivated: v.state === 'deactivated' },
  };
}
