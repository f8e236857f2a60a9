/** keypadd person add|list|show|disable|enable|delete */
import type { Command } from 'commander';
import { addPerson, deletePerson, getPerson, listPeople, setPersonEnabled, type PersonView } from '../../admin/people.js';
import { listCredentials } from '../../admin/credentials.js';
import { listReservations } from '../../admin/reservations.js';
import { print, table, yesNo } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';

const fullName = (p: PersonView) => `${p.first_name} ${p.last_name}`;
const validity = (p: PersonView) => (p.valid_from || p.valid_to ? `${p.valid_from ?? '…'} to ${p.valid_to ?? '…'}` : 'always');

export function registerPerson(program: Command): void {
  const person = program.command('person').description('people who may hold PINs and cards');

  person
    .command('add')
    .description('add a person')
    .requiredOption('--first-name <name>', 'first name')
    .requiredOption('--last-name <name>', 'last name')
    .option('--email <email>', 'email address (unique)')
    .option('--valid-from <time>', 'no access before this time (ISO 8601; without an offset, site local time)')
    .option('--valid-to <time>', 'no access from this time on')
    .option('--notes <text>', 'free text')
    .option('--visitor', 'no standing role: access only through reservations')
    .action(
      withSession((s, o: { firstName: string; lastName: string; email?: string; validFrom?: string; validTo?: string; notes?: string; visitor?: boolean }) => {
        const p = addPerson(s.admin(), {
          visitor: o.visitor === true,
          first_name: o.firstName,
          last_name: o.lastName,
          email: o.email,
          valid_from: o.validFrom,
          valid_to: o.validTo,
          notes: o.notes,
        });
        print(s, p, () => `Added person ${p.id}: ${fullName(p)}${p.email ? ` <${p.email}>` : ''}`);
      }),
    );

  person
    .command('list')
    .description('list people')
    .option('--email <email>', 'only the person with this email')
    .action(
      withSession((s, o: { email?: string }) => {
        const people = listPeople(s.admin(), { email: o.email, per_page: Number.MAX_SAFE_INTEGER });
        print(s, people, () =>
          table(
            ['ID', 'NAME', 'EMAIL', 'ENABLED', 'VALID'],
            people.map((p) => [p.id, fullName(p), p.email, yesNo(p.enabled), validity(p)]),
            'No people yet. Add one with: keypadd person add --first-name F --last-name L',
          ),
        );
      }),
    );

  person
    .command('show')
    .description('show a person with their credentials and reservations')
    .argument('<id>', 'person id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const ctx = s.admin();
        const p = getPerson(ctx, id);
        const creds = listCredentials(ctx, { person_id: id });
        const reservations = listReservations(ctx, { person_id: id });
        print(s, p, () =>
          [
            `Person ${p.id}: ${fullName(p)}`,
            `  email:    ${p.email ?? '-'}`,
            `  enabled:  ${yesNo(p.enabled)}`,
            `  valid:    ${validity(p)}`,
            `  notes:    ${p.notes ?? '-'}`,
            `  created:  ${p.created_at}`,
            `  credentials: ${creds.map((c) => `${c.label} ${c.id}${c.enabled ? '' : ' (disabled)'}`).join(', ') || 'none'}`,
            `  reservations: ${reservations.map((r) => `${r.start_time} to ${r.end_time}`).join(', ') || 'none'}`,
          ].join('\n'),
        );
      }),
    );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    person
      .command(verb)
      .description(`${verb} a person: ${enabled ? 'their credentials work again' : 'none of their credentials opens a door'}`)
      .argument('<id>', 'person id', positiveInt)
      .action(
        withSession((s, id: number) => {
          const p = setPersonEnabled(s.admin(), id, enabled);
          print(s, p, () => `Person ${p.id} (${fullName(p)}) ${enabled ? 'enabled' : 'disabled'}`);
        }),
      );
  }

  person
    .command('delete')
    .description('delete a person with their credentials and reservations (their past events stay)')
    .argument('<id>', 'person id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const p = deletePerson(s.admin(), id);
        print(s, p, () => `Deleted person ${p.id} (${fullName(p)}) and their credentials`);
      }),
    );
}
