/**
 * `keypadd person import`: people from a spreadsheet (the columns of people-csv.ts), each row matched by id, else by
 * email, and created or updated through the same functions as `person add`, `role assign`, `card add` and `pin add`,
 * so every rule holds here as there. Each row is its own savepoint: a refused row changes nothing and the others go
 * on. A dry run does all of it in a transaction that is then rolled back, so its report is the real one.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { parseCardNumber } from '../core/card-number.js';
import { isGenerateRequest } from '../core/pin-rules.js';
import { CARD_TYPE_ID, CredentialRepo, PIN_TYPE_ID } from '../storage/credential-repo.js';
import { EventRepo } from '../storage/event-repo.js';
import { newEvent, now } from '../storage/new-event.js';
import type { AdminContext } from './context.js';
import { createCredential } from './credentials.js';
import { Problems, RefusedError, invalid } from './errors.js';
import { addPerson, getPerson, listPeople, updatePerson, type PersonInput, type PersonView } from './people.js';
import { ALL_COLUMNS, LIST_SEPARATOR, type PersonColumn, unguardCell } from './people-csv.js';
import { listRoles } from './roles.js';
import { readTime } from './times.js';

export interface RowOutcome {
  /** The row's number as a spreadsheet shows it: the header is row 1. */
  row: number;
  action: 'create' | 'update' | 'unchanged' | 'refused';
  /** The person made or matched; null for a refusal and for a dry run's create. */
  person_id: number | null;
  /** For a create: who, their roles and credentials; for an update: the columns that change; for a refusal: why. */
  summary: string;
  /** For an update: the columns that change. */
  changes: string[];
  /** Field -> reasons, for a refusal. */
  errors: Record<string, string[]>;
  /** The PIN policy's warnings (a weak PIN, a door that will not take it); never the PIN. */
  warnings: string[];
}

export interface ImportReport {
  dry_run: boolean;
  rows: RowOutcome[];
  created: number;
  updated: number;
  unchanged: number;
  refused: number;
}

/** Thrown to roll a dry run back; never leaves this module. */
class DryRun extends Error {}

/** Reads the CSV and applies it (or, with `dryRun`, only reports what it would do). A bad header is refused whole. */
export function importPeople(ctx: AdminContext, csv: string, options: { dryRun: boolean; source: string }): ImportReport {
  const records = readCsv(csv);
  const columns = readHeader(records[0]);
  const report: ImportReport = { dry_run: options.dryRun, rows: [], created: 0, updated: 0, unchanged: 0, refused: 0 };
  try {
    ctx.store.db
      .transaction(() => {
        const roleIds = new Map(listRoles(ctx).map((r) => [r.name, r.id]));
        // One savepoint per row, made once: a wrapper per row costs more than the row's own work at 100,000 rows.
        const savepoint = ctx.store.db.transaction((apply: () => RowOutcome) => apply());
        const file: ImportFile = { columns, roleIds, savepoint };
        records.slice(1).forEach((cells, i) => {
          if (cells.every((c) => c.trim() === '')) return; // a blank line between rows is no row
          const outcome = importRow(ctx, file, i + 2, cells);
          report.rows.push(outcome);
          report[outcome.action === 'create' ? 'created' : outcome.action === 'update' ? 'updated' : outcome.action]++;
        });
        if (options.dryRun) throw new DryRun();
        const { created, updated, unchanged, refused } = report;
        new EventRepo(ctx.store.db).append(
          newEvent(
            'people_imported',
            {
              door_id: null,
              source: options.source,
              event_label: `People imported: ${created} created, ${updated} updated, ${unchanged} unchanged, ${refused} refused`,
              detail: { rows: report.rows.length, created, updated, unchanged, refused },
            },
            now(),
          ),
        );
      })
      .immediate();
  } catch (err) {
    if (!(err instanceof DryRun)) throw err;
    // Rolled back: the ids the dry run's new people had are nobody's.
    for (const r of report.rows) if (r.action === 'create') r.person_id = null;
  }
  return report;
}

function readCsv(csv: string): string[][] {
  try {
    // Every row is read as it is; a row with too few or too many cells is refused on its own, not the whole file.
    return parse(csv, { bom: true, relax_column_count: true }) as string[][];
  } catch (err) {
    if (err instanceof CsvError) throw invalid('file', `is not valid CSV: ${err.message}`);
    throw err;
  }
}

function readHeader(header: string[] | undefined): PersonColumn[] {
  if (header === undefined) throw invalid('header', 'the file is empty: its first row must name the columns');
  const problems = new Problems();
  const seen = new Set<string>();
  const columns = header.map((h) => h.trim().toLowerCase());
  for (const name of columns) {
    if (!(ALL_COLUMNS as readonly string[]).includes(name))
      problems.add('header', `unknown column "${name}" (the columns: ${ALL_COLUMNS.join(', ')})`);
    else if (seen.has(name)) problems.add('header', `column "${name}" appears twice`);
    seen.add(name);
  }
  problems.throwIfAny();
  return columns as PersonColumn[];
}

/** What every row of one file shares: its columns, the roles by name, and the savepoint a row runs in. */
interface ImportFile {
  columns: PersonColumn[];
  roleIds: Map<string, number>;
  savepoint: (apply: () => RowOutcome) => RowOutcome;
}

function importRow(ctx: AdminContext, file: ImportFile, row: number, cells: string[]): RowOutcome {
  const { columns, roleIds } = file;
  const outcome = (action: RowOutcome['action'], person: number | null, summary: string, more: Partial<RowOutcome> = {}): RowOutcome => ({
    row,
    action,
    person_id: person,
    summary,
    changes: [],
    errors: {},
    warnings: [],
    ...more,
  });
  if (cells.length !== columns.length) {
    const errors = { row: [`has ${cells.length} cells where the header has ${columns.length}`] };
    return outcome('refused', null, `row: ${errors.row[0]}`, { errors });
  }
  const cell = (name: PersonColumn): string | undefined => {
    const i = columns.indexOf(name);
    return i < 0 ? undefined : unguardCell(cells[i]!.trim());
  };
  try {
    // A savepoint per row: a refusal part-way (the person made, their card refused) leaves nothing of the row.
    return file.savepoint(() => applyRow(ctx, cell, roleIds, outcome));
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
    return outcome('refused', null, err.message.split('\n').join('; '), { errors: err.errors });
  }
}

type Cell = (name: PersonColumn) => string | undefined;
type Outcome = (action: RowOutcome['action'], person: number | null, summary: string, more?: Partial<RowOutcome>) => RowOutcome;

/** What a row asks for, read and checked; every problem of the row at once. */
interface Wanted {
  person: PersonInput & { role_ids?: number[] | undefined };
  card: string | null;
  pin: string | null;
}

function readRow(ctx: AdminContext, cell: Cell, roleIds: Map<string, number>, target: PersonView | undefined): Wanted {
  const problems = new Problems();
  const enabled = readEnabled(cell('enabled'), problems);
  const roles = cell('roles');
  const roleNames = roles === undefined ? undefined : splitList(roles);
  const role_ids = roleNames?.flatMap((name) => {
    const id = roleIds.get(name);
    if (id === undefined) problems.add('roles', `no role named "${name}"`);
    return id === undefined ? [] : [id];
  });
  const cards = splitList(cell('cards') ?? '');
  if (cards.length > 1) problems.add('cards', 'a person holds at most one card: give one number');
  let card: string | null = null;
  if (cards.length === 1) {
    const parsed = parseCardNumber(cards[0]!);
    if (!parsed.ok) problems.add('cards', `"${cards[0]}": ${parsed.message}`);
    else {
      card = parsed.number;
      // Card numbers are not secret (they are listed): name the holder, so the admin knows whom to ask.
      const holder = new CredentialRepo(ctx.store.db).byDigest(CARD_TYPE_ID, ctx.store.digest(card));
      if (holder && holder.person_id !== target?.id) problems.add('cards', `card ${card} is held by person ${holder.person_id}`);
    }
  }
  const pin = cell('pins') || null;
  // The PIN itself is never repeated in a message: only what is wrong with it.
  if (pin !== null && (pin.includes(LIST_SEPARATOR) || isGenerateRequest(pin))) {
    problems.add('pins', 'give one PIN of digits (a generated PIN is made, and shown, by keypadd pin add)');
  }
  problems.throwIfAny();
  // A column left out keeps the person's value (undefined); an empty cell clears what may be empty.
  const orNull = (name: PersonColumn) => {
    const v = cell(name);
    return v === undefined ? undefined : v || null;
  };
  const person: Wanted['person'] = {
    first_name: cell('first_name'),
    last_name: cell('last_name'),
    email: orNull('email'),
    enabled,
    valid_from: orNull('valid_from'),
    valid_to: orNull('valid_to'),
    role_ids,
  };
  return { person, card, pin };
}

function applyRow(ctx: AdminContext, cell: Cell, roleIds: Map<string, number>, outcome: Outcome): RowOutcome {
  const target = findPerson(ctx, cell);
  const wanted = readRow(ctx, cell, roleIds, target);
  if (target === undefined) {
    const p = addPerson(ctx, wanted.person);
    const warnings = addCredentials(ctx, p.id, wanted.card, wanted.pin);
    const names = new Map([...roleIds].map(([name, id]) => [id, name]));
    const parts = [`roles: ${p.roles.map((id) => names.get(id)).join(', ') || 'none'}`];
    if (wanted.card !== null) parts.push('1 card');
    if (wanted.pin !== null) parts.push('1 PIN');
    return outcome('create', p.id, `${p.first_name} ${p.last_name} (${parts.join('; ')})`, { warnings });
  }
  const changes = personChanges(ctx, target, wanted.person);
  // Only what changes is sent: an unchanged synced person's row stays unchanged, not refused.
  const person = Object.fromEntries(Object.entries(wanted.person).filter(([k]) => changes.includes(k === 'role_ids' ? 'roles' : k)));
  const credentials = new CredentialRepo(ctx.store.db);
  const card = newCredential(ctx, credentials, target.id, CARD_TYPE_ID, wanted.card);
  const pin = newCredential(ctx, credentials, target.id, PIN_TYPE_ID, wanted.pin);
  if (card !== null) changes.push('cards');
  if (pin !== null) changes.push('pins');
  if (changes.length === 0) return outcome('unchanged', target.id, '');
  if (Object.keys(person).length > 0) updatePerson(ctx, target.id, person);
  const warnings = addCredentials(ctx, target.id, card, pin);
  return outcome('update', target.id, changes.join(', '), { changes, warnings });
}

/** The person a row is about: by id when it has one (which must exist), else by email; undefined: a new person. */
function findPerson(ctx: AdminContext, cell: Cell): PersonView | undefined {
  const id = cell('id');
  if (id) {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw invalid('id', 'must be a person id, or empty to match by email or make a new person');
    return getPerson(ctx, Number(id));
  }
  const email = cell('email');
  return email ? listPeople(ctx, { email, per_page: 1 })[0] : undefined;
}

/** The columns whose value differs from the person's, compared as the store would keep them. */
function personChanges(ctx: AdminContext, p: PersonView, w: Wanted['person']): string[] {
  const zone = ctx.config.site.time_zone;
  const problems = new Problems();
  const changed: string[] = [];
  if (w.first_name !== undefined && w.first_name !== p.first_name) changed.push('first_name');
  if (w.last_name !== undefined && w.last_name !== p.last_name) changed.push('last_name');
  if (w.email !== undefined && w.email !== p.email) changed.push('email');
  if (w.enabled !== undefined && w.enabled !== p.enabled) changed.push('enabled');
  if (w.valid_from !== undefined && readTime('valid_from', w.valid_from, zone, problems) !== p.valid_from) changed.push('valid_from');
  if (w.valid_to !== undefined && readTime('valid_to', w.valid_to, zone, problems, 'end') !== p.valid_to) changed.push('valid_to');
  if (w.role_ids !== undefined && [...new Set(w.role_ids)].sort((a, b) => a - b).join() !== p.roles.join()) changed.push('roles');
  problems.throwIfAny();
  return changed;
}

/**
 * The card or PIN to give, or null when the row gives none or the person holds that one already. A person holds at
 * most one of each, so a different one is refused here as `card add`/`pin add` would refuse it (never replaced: a
 * spreadsheet does not take a credential away). A PIN is compared by its digest, and never named.
 */
function newCredential(ctx: AdminContext, repo: CredentialRepo, personId: number, typeId: 5 | 6, value: string | null): string | null {
  if (value === null) return null;
  const held = repo.forPerson(personId, typeId);
  if (!held) return value;
  if (held.digest === ctx.store.digest(value)) return null;
  const what = typeId === PIN_TYPE_ID ? 'pins' : 'cards';
  throw invalid(what, `person ${personId} already has a ${typeId === PIN_TYPE_ID ? 'PIN' : 'card'} (${held.id}): delete it first to give another`);
}

function addCredentials(ctx: AdminContext, personId: number, card: string | null, pin: string | null): string[] {
  const warnings: string[] = [];
  const add = (field: string, credential_type_id: number, value: string) => {
    try {
      warnings.push(...createCredential(ctx, { person_id: personId, credential_type_id, value }).warnings);
    } catch (err) {
      // createCredential names the field `value`; the spreadsheet's column is what the admin sees.
      if (err instanceof RefusedError) throw new RefusedError(err.kind, { [field]: Object.values(err.errors).flat() });
      throw err;
    }
  };
  if (card !== null) add('cards', CARD_TYPE_ID, card);
  if (pin !== null) add('pins', PIN_TYPE_ID, pin);
  return warnings;
}

function readEnabled(text: string | undefined, problems: Problems): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  const t = text.toLowerCase();
  if (['yes', 'true', '1'].includes(t)) return true;
  if (['no', 'false', '0'].includes(t)) return false;
  problems.add('enabled', 'must be yes or no (or true/false, 1/0)');
  return undefined;
}

const splitList = (text: string): string[] =>
  text
    .split(LIST_SEPARATOR)
    .map((s) => s.trim())
    .filter((s) => s !== '');
