/**
 * People as spreadsheet rows (`keypadd person export`, read back by people-import.ts): the columns, the guard against
 * formula injection, and the export itself, one person at a time so 100,000 people never become one string.
 */
import { CARD_TYPE_ID, PIN_TYPE_ID } from '../storage/credential-repo.js';
import type { AdminContext } from './context.js';
import { listCredentials } from './credentials.js';
import { invalid } from './errors.js';
import { listPeople } from './people.js';
import { listRoles } from './roles.js';
import { siteDateOrTime } from './times.js';

/** The columns of an export, in order; an import may give any of them, in any order, and `pins` besides. */
export const PERSON_COLUMNS = ['id', 'first_name', 'last_name', 'email', 'enabled', 'valid_from', 'valid_to', 'roles', 'cards'] as const;
export const PIN_COLUMN = 'pins';
export type PersonColumn = (typeof PERSON_COLUMNS)[number] | typeof PIN_COLUMN;
export const ALL_COLUMNS: readonly PersonColumn[] = [...PERSON_COLUMNS, PIN_COLUMN];

/** Roles and cards in one cell: names or numbers joined by this. */
export const LIST_SEPARATOR = ';';

/**
 * A cell a spreadsheet would run as a formula (OWASP "CSV injection": = + - @) gets a ' in front, which the
 * spreadsheet shows as text. A cell already starting with ' before one of those gets one more, so unguardCell()
 * gives back exactly what was exported, whatever the text: the round trip stays lossless.
 */
const FORMULA = /^'*[=+\-@]/;
export const guardCell = (text: string): string => (FORMULA.test(text) ? `'${text}` : text);
export const unguardCell = (text: string): string => (/^'+[=+\-@]/.test(text) ? text.slice(1) : text);

/** Rows read from the database per query: a page, not the whole table. */
const PAGE = 500;

/**
 * The header and then one row per person, in id order, every cell guarded. PINs only with `includePins`, which is
 * refused at once (before any row) unless PINs are stored in plaintext: a digest cannot be turned back into a PIN.
 */
export function exportPeople(ctx: AdminContext, options: { includePins: boolean }): Iterable<string[]> {
  if (options.includePins && ctx.config.pin_policy.storage !== 'plaintext') {
    throw invalid(
      '--include-pins',
      'PINs are stored as digests here (pin_policy.storage: digest), and a digest cannot be read back into a PIN; export without --include-pins',
    );
  }
  return rows(ctx, options.includePins);
}

function* rows(ctx: AdminContext, includePins: boolean): Generator<string[]> {
  const zone = ctx.config.site.time_zone;
  const roleName = new Map(listRoles(ctx).map((r) => [r.id, r.name]));
  yield includePins ? [...ALL_COLUMNS] : [...PERSON_COLUMNS];
  for (let page = 1; ; page++) {
    const people = listPeople(ctx, { page, per_page: PAGE });
    for (const p of people) {
      const credentials = listCredentials(ctx, { person_id: p.id, per_page: PAGE });
      const values = (typeId: number) => credentials.filter((c) => c.credential_type_id === typeId && c.value !== null).map((c) => c.value!);
      const row = [
        String(p.id),
        p.first_name,
        p.last_name,
        p.email ?? '',
        p.enabled ? 'yes' : 'no',
        p.valid_from ? siteDateOrTime(p.valid_from, zone, 'start') : '',
        p.valid_to ? siteDateOrTime(p.valid_to, zone, 'end') : '',
        p.roles.map((id) => roleName.get(id) ?? `role ${id}`).join(LIST_SEPARATOR),
        values(CARD_TYPE_ID).join(LIST_SEPARATOR),
      ];
      if (includePins) row.push(values(PIN_TYPE_ID).join(LIST_SEPARATOR));
      yield row.map(guardCell);
    }
    if (people.length < PAGE) return;
  }
}
