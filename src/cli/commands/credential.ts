/** keypadd pin add, card add, credential list|enable|disable|delete|update|expire-unused */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  cardValueFromFacility,
  createCredential,
  deleteCredential,
  listCredentials,
  updateCredential,
  type CredentialView,
} from '../../application/credentials.js';
import { expireUnused } from '../../application/credential-expiry.js';
import { invalid } from '../../application/errors.js';
import { siteTime } from '../../application/times.js';
import { CARD_TYPE_ID, PIN_TYPE_ID } from '../../storage/credential-repo.js';
import { print, table, warn, yesNo } from '../output.js';
import { bool, positiveInt } from '../parse.js';
import { type Session, withSession } from '../session.js';
import { registerCardEnrolment } from './card-enrol.js';

function shownValue(s: Session, c: CredentialView): string {
  if (c.value !== null) return c.value;
  return s.admin().config.pin_policy.storage === 'digest' ? '(digest; shown only at creation)' : '-';
}

export function registerCredentials(program: Command): void {
  program
    .command('pin')
    .description('PIN credentials')
    .command('add')
    .description('give a person a PIN: generated (recommended) unless --value is given')
    .requiredOption('--person <id>', 'person id', positiveInt)
    .option('--value <pin>', 'a custom PIN (4-8 digits), asterisks to generate one of that length, or - to read it from stdin')
    .option('--uses <n>', 'a use-limited PIN: refused (uses_exhausted) and disabled after n grants; 1 for a one-time PIN', positiveInt)
    .option('--duress', 'the person’s duress PIN (beside their PIN): opens the door as usual and raises a duress alarm')
    .action(
      withSession((s, o: { person: number; value?: string; uses?: number; duress?: boolean }) => {
        // `-` keeps a custom PIN out of the process list and shell history.
        const value = o.value === '-' ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : o.value;
        const { credential: c, warnings } = createCredential(s.admin(), {
          person_id: o.person,
          credential_type_id: PIN_TYPE_ID,
          value,
          uses_remaining: o.uses,
          duress: o.duress === true,
        });
        warn(warnings);
        const once = s.admin().config.pin_policy.storage === 'digest';
        print(s, c, () =>
          [
            `${c.duress ? 'Duress PIN' : 'PIN'} for person ${c.person_id}: ${c.value}`,
            `  credential ${c.id}${c.enabled ? '' : ' (disabled)'}`,
            c.uses_remaining === null ? '' : `  good for ${c.uses_remaining} use${c.uses_remaining === 1 ? '' : 's'}`,
            once ? '  This is the only time the PIN is shown (it is stored as a digest). Send it to the person now.' : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );

  const card = program.command('card').description('card credentials');
  card
    .command('add')
    .description('give a person a card, by its number or by facility code and card number (26-bit)')
    .requiredOption('--person <id>', 'person id', positiveInt)
    .option('--number <n>', 'decimal card number as the reader reports it (DoorFlow credentials_number)')
    .option('--facility <fc>', '26-bit facility code (0-255); use with --card')
    .option('--card <cn>', '26-bit card number (0-65535); use with --facility')
    .action(
      withSession((s, o: { person: number; number?: string; facility?: string; card?: string }) => {
        const value = cardOptionValue(o);
        const { credential: c, warnings } = createCredential(s.admin(), { person_id: o.person, credential_type_id: CARD_TYPE_ID, value });
        warn(warnings);
        print(s, c, () => `Card ${c.value} added for person ${c.person_id} (credential ${c.id})`);
      }),
    );

  registerCardEnrolment(card);

  const credential = program.command('credential').description('all credentials: list, enable, disable, delete');

  credential
    .command('list')
    .description('list credentials')
    .option('--person <id>', 'only this person’s', positiveInt)
    .action(
      withSession((s, o: { person?: number }) => {
        const ctx = s.admin();
        const list = listCredentials(ctx, { person_id: o.person, per_page: Number.MAX_SAFE_INTEGER });
        print(s, list, () =>
          table(
            ['ID', 'TYPE', 'PERSON', 'VALUE', 'ENABLED', 'CREATED'],
            list.map((c) => [
              c.id,
              c.duress ? 'PIN (duress)' : c.label,
              c.person_id,
              shownValue(s, c),
              yesNo(c.enabled),
              siteTime(c.created_at, ctx.config.site.time_zone),
            ]),
            'No credentials.',
          ),
        );
      }),
    );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    credential
      .command(verb)
      .description(`${verb} a credential without deleting it`)
      .argument('<cid>', 'credential id (cred_…)')
      .action(
        withSession((s, id: string) => {
          const c = updateCredential(s.admin(), id, { enabled });
          print(s, c, () => `${c.label} ${c.id} ${enabled ? 'enabled' : 'disabled'}`);
        }),
      );
  }

  credential
    .command('update')
    .description('change whether a credential is enabled; a value never changes (delete it and create a new one)')
    .argument('<cid>', 'credential id (cred_…)')
    .option('--value <v>', 'refused: a PIN or card number cannot be changed')
    .option('--enabled <bool>', 'true or false', bool)
    .action(
      withSession((s, id: string, o: { value?: string; enabled?: boolean }) => {
        const c = updateCredential(s.admin(), id, { value: o.value, enabled: o.enabled });
        print(s, c, () => `${c.label} ${c.id} ${c.enabled ? 'enabled' : 'disabled'}`);
      }),
    );

  credential
    .command('expire-unused')
    .description('disable PINs and cards with no grant in N days (never used: made more than N days ago), each with a credential_expired event')
    .requiredOption('--days <n>', 'days without a grant (at most events.retention_days, which is how far back grants are kept)', positiveInt)
    .option('--dry-run', 'list what would be disabled and change nothing')
    .action(
      withSession((s, o: { days: number; dryRun?: boolean }) => {
        const ctx = s.admin();
        const r = expireUnused(ctx, { days: o.days, dryRun: o.dryRun === true });
        const zone = ctx.config.site.time_zone;
        const when = (t: string | null) => (t === null ? 'never' : siteTime(t, zone));
        print(s, { ...r, count: r.credentials.length }, () =>
          [
            table(
              ['ID', 'TYPE', 'PERSON', 'LAST USED', 'CREATED'],
              r.credentials.map((c) => [c.credential_id, c.kind, c.person_id, when(c.last_used), siteTime(c.created_at, zone)]),
              `No credential unused for ${o.days} days.`,
            ),
            `${r.credentials.length} credential${r.credentials.length === 1 ? '' : 's'} ${r.dry_run ? 'would be disabled (dry run: nothing changed)' : 'disabled'}`,
          ].join('\n'),
        );
      }),
    );

  credential
    .command('delete')
    .description('delete a credential (to reset a PIN: delete it, then pin add)')
    .argument('<cid>', 'credential id (cred_…)')
    .action(
      withSession((s, id: string) => {
        const c = deleteCredential(s.admin(), id);
        print(s, c, () => `Deleted ${c.label} ${c.id} of person ${c.person_id}`);
      }),
    );
}

function cardOptionValue(o: { number?: string; facility?: string; card?: string }): string {
  const split = o.facility !== undefined || o.card !== undefined;
  if (o.number !== undefined && split) throw invalid('number', 'give either --number or --facility with --card, not both');
  if (o.number !== undefined) return o.number;
  if (o.facility === undefined)
    throw invalid(
      o.card === undefined ? 'number' : 'facility',
      o.card === undefined ? 'is required (or --facility with --card)' : 'is required with --card',
    );
  if (o.card === undefined) throw invalid('card', 'is required with --facility');
  return cardValueFromFacility(o.facility, o.card);
}
