/**
 * PIN and card credentials under the guide's rules: a value belongs to one person, a person has at most one of
 * each type, a value never changes, and a digest-stored PIN is shown once, in the answer to its creation.
 */
import { randomBytes } from 'node:crypto';
import { cardNumberFromFacility, parseCardNumber } from '../core/card-number.js';
import { densityWarning } from '../core/pin-rules.js';
import { sitePinRules } from '../config/policy.js';
import { CARD_TYPE_ID, CredentialRepo, PIN_TYPE_ID, type CredentialRow } from '../storage/credential-repo.js';
import { type AdminContext, limitOffset, nowIso } from './context.js';
import { truncateWal } from '../storage/store.js';
import { RefusedError, inUse, invalid, notFound, refuseIfSynced } from './errors.js';
import { getPersonRow } from './people.js';
import { checkCustomPin, preparePin, type Prepared } from './pin-values.js';

/** A credential as the DoorFlow API returns one. */
export interface CredentialView {
  id: string;
  credential_type_id: number;
  label: string;
  /** Card number; a PIN under plaintext storage, or in the answer to its creation; otherwise null. */
  value: string | null;
  enabled: boolean;
  person_id: number;
  /** keypadd's addition: grants left on a use-limited PIN (null: unlimited); at 0 it is refused and disabled. */
  uses_remaining: number | null;
  /** keypadd's addition: the person's duress PIN (opens like their PIN, and raises a duress alarm). */
  duress: boolean;
  /** keypadd's addition: true when the credential comes from the upstream API (read-only here). */
  synced: boolean;
  created_at: string;
  updated_at: string;
}

export interface Created {
  credential: CredentialView;
  /** Things the admin should know: a weak PIN, a door that will not take it, PIN density. Never the PIN itself. */
  warnings: string[];
}

export const CREDENTIAL_TYPES = [
  { id: CARD_TYPE_ID, label: 'Card', slug: 'credentials_number', code: CARD_TYPE_ID },
  { id: PIN_TYPE_ID, label: 'PIN', slug: 'pin', code: PIN_TYPE_ID },
] as const;

const labelOf = (typeId: number) => (typeId === PIN_TYPE_ID ? 'PIN' : 'Card');

export function credentialView(row: CredentialRow, shownValue?: string): CredentialView {
  return {
    id: row.id,
    credential_type_id: row.credential_type_id,
    label: labelOf(row.credential_type_id),
    value: shownValue ?? row.value,
    enabled: row.enabled === 1,
    person_id: row.person_id,
    uses_remaining: row.uses_remaining ?? null,
    duress: row.duress === 1,
    synced: row.upstream_id !== null && row.upstream_id !== undefined,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Accepts a type id (5, 6) or a DoorFlow slug (`credentials_number`, `pin`). */
export function credentialTypeId(given: unknown): number {
  const t = CREDENTIAL_TYPES.find((c) => c.id === Number(given) || c.slug === given);
  if (!t) throw invalid('credential_type_id', 'must be 5 (card, credentials_number) or 6 (PIN)');
  return t.id;
}

export interface CredentialInput {
  person_id: number;
  credential_type_id: unknown;
  /** A PIN, asterisks for a generated PIN (also when absent), or a decimal card number. */
  value?: string | null | undefined;
  enabled?: boolean | undefined;
  /** keypadd's addition: a use-limited PIN (1-100000 grants); absent or null for unlimited. */
  uses_remaining?: unknown;
  /** keypadd's addition: true for the person's duress PIN (a person has at most one, beside their PIN). */
  duress?: unknown;
}

/** Most grants a use-limited PIN may be given: beyond, it is an ordinary PIN. */
export const MAX_USES = 100_000;

function checkUses(typeId: number, uses: unknown): number | null {
  if (uses === undefined || uses === null) return null;
  if (typeId !== PIN_TYPE_ID) throw invalid('uses_remaining', 'only a PIN can be use-limited');
  if (typeof uses !== 'number' || !Number.isInteger(uses) || uses < 1 || uses > MAX_USES) {
    throw invalid('uses_remaining', `must be a whole number from 1 to ${MAX_USES}`);
  }
  return uses;
}

function checkDuress(typeId: number, duress: unknown): boolean {
  if (duress === undefined || duress === null || duress === false) return false;
  if (duress !== true) throw invalid('duress', 'must be true or false');
  if (typeId !== PIN_TYPE_ID) throw invalid('duress', 'only a PIN can be a duress PIN');
  return true;
}

export function createCredential(ctx: AdminContext, input: CredentialInput): Created {
  const typeId = credentialTypeId(input.credential_type_id);
  const repo = new CredentialRepo(ctx.store.db);
  // The value's own rules first: a malformed PIN is reported as such even for a person who already has one.
  const value = input.value ?? null;
  const uses = checkUses(typeId, input.uses_remaining);
  const duress = checkDuress(typeId, input.duress);
  if (typeId === PIN_TYPE_ID) checkCustomPin(ctx, value);
  else checkCardNumber(value ?? '');
  // IMMEDIATE: the uniqueness checks and the insert run under the write lock, so two creators serialise.
  return ctx.store.db
    .transaction((): Created => {
      // A synced person's credentials come from the upstream only (a local one would block the next pull's).
      refuseIfSynced('person_id', getPersonRow(ctx, input.person_id));
      const existing = repo.forPerson(input.person_id, typeId as 5 | 6, duress);
      if (existing) {
        const what = duress ? 'duress PIN' : labelOf(typeId);
        throw new RefusedError(
          'conflict',
          { [duress ? 'duress' : 'credential_type_id']: [`person ${input.person_id} already has a ${what} (${existing.id}); delete it first`] },
          credentialView(existing),
        );
      }
      const made = typeId === PIN_TYPE_ID ? preparePin(ctx, repo, value) : prepareCard(ctx, repo, value ?? '');
      const now = nowIso(ctx);
      const row: CredentialRow = {
        id: newCredentialId(),
        person_id: input.person_id,
        credential_type_id: typeId as 5 | 6,
        value: made.stored,
        digest: made.digest,
        pin_length: made.pinLength,
        enabled: input.enabled === false ? 0 : 1,
        uses_remaining: uses,
        duress: duress ? 1 : 0,
        created_at: now,
        updated_at: now,
      };
      insertUnique(repo, row);
      const warnings = [...made.warnings];
      if (made.pinLength !== null) {
        const density = densityWarning(made.pinLength, (l) => repo.activePinCount(l), sitePinRules(ctx.config));
        if (density) warnings.push(density);
      }
      return { credential: credentialView(row, made.shown), warnings };
    })
    .immediate();
}

/** 26-bit facility code + card number, as printed on prox cards. */
export function cardValueFromFacility(facility: string, card: string): string {
  const r = cardNumberFromFacility(facility, card);
  if (!r.ok) throw invalid(r.field, r.message);
  return r.number;
}

function checkCardNumber(value: string): string {
  const r = parseCardNumber(value.trim());
  if (!r.ok) throw invalid(r.field, r.message);
  return r.number;
}

function prepareCard(ctx: AdminContext, repo: CredentialRepo, value: string): Prepared {
  const number = checkCardNumber(value);
  const digest = ctx.store.digest(number);
  if (repo.byDigest(CARD_TYPE_ID, digest)) throw invalid('value', 'is already in use');
  return { stored: number, shown: number, digest, pinLength: null, warnings: [] };
}

function insertUnique(repo: CredentialRepo, row: CredentialRow): void {
  try {
    repo.insert(row);
  } catch (err) {
    // The checks above ran under the write lock, so this is a last line of defence, not the normal path.
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
      throw row.credential_type_id === PIN_TYPE_ID ? inUse('value') : invalid('value', 'is already in use');
    throw err;
  }
}

/** `cred_` + 16 base62-ish characters: unguessable, unlike a row number. */
function newCredentialId(): string {
  return 'cred_' + randomBytes(12).toString('base64url').replace(/[-_]/g, '0');
}

export function getCredentialRow(ctx: AdminContext, id: string, personId?: number): CredentialRow {
  const row = new CredentialRepo(ctx.store.db).get(id);
  if (!row || (personId !== undefined && row.person_id !== personId)) throw notFound('id', `no credential ${id}`);
  return row;
}

export function listCredentials(
  ctx: AdminContext,
  filter: { person_id?: number | undefined; page?: number; per_page?: number } = {},
): CredentialView[] {
  if (filter.person_id !== undefined) getPersonRow(ctx, filter.person_id);
  return new CredentialRepo(ctx.store.db).list({ personId: filter.person_id, ...limitOffset(filter) }).map((r) => credentialView(r));
}

export function countCredentials(ctx: AdminContext, personId?: number): number {
  return new CredentialRepo(ctx.store.db).count(personId);
}

export interface CredentialUpdate {
  enabled?: boolean | undefined;
  value?: string | undefined;
}

/**
 * Only `enabled` changes, because a PIN or card number is never edited in place. A card number given back as it is
 * held passes (a script that PUTs the whole credential back; card numbers are listed anyway). A PIN value is refused
 * without being compared: with digest storage, "same" against "different" would tell a token who holds which PIN.
 */
export function updateCredential(ctx: AdminContext, id: string, change: CredentialUpdate, personId?: number): CredentialView {
  return ctx.store.db
    .transaction(() => {
      const row = getCredentialRow(ctx, id, personId);
      refuseIfSynced('credential', row);
      const changed = (value: string) => row.credential_type_id === PIN_TYPE_ID || ctx.store.digest(normaliseValue(row, value)) !== row.digest;
      if (change.value !== undefined && changed(change.value)) throw invalid('value', 'cannot be changed: delete it and create a new one');
      if (change.enabled !== undefined) new CredentialRepo(ctx.store.db).setEnabled(id, change.enabled, nowIso(ctx));
      return credentialView(getCredentialRow(ctx, id));
    })
    .immediate();
}

function normaliseValue(row: CredentialRow, value: string): string {
  if (row.credential_type_id !== CARD_TYPE_ID) return value;
  const r = parseCardNumber(value.trim());
  return r.ok ? r.number : value;
}

export function deleteCredential(ctx: AdminContext, id: string, personId?: number): CredentialView {
  const row = getCredentialRow(ctx, id, personId);
  refuseIfSynced('credential', row);
  new CredentialRepo(ctx.store.db).delete(id);
  // secure_delete zeroes the value in the database file; the WAL keeps the page until a TRUNCATE checkpoint.
  truncateWal(ctx.store.db);
  return credentialView(row);
}
