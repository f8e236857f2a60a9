/** keypadd person add|list|show|disable|enable|delete (export|import: person-csv.ts) */
import type { Command } from 'commander';
import {
  addPerson,
  deletePerson,
  getPerson,
  listPeople,
  setPersonEmergency,
  setPersonEnabled,
  updatePerson,
  type PersonView,
} from '../../application/people.js';
import { invalid } from '../../application/errors.js';
import { listCredentials } from '../../application/credentials.js';
import { listReservations } from '../../application/reservations.js';
import { listRoles } from '../../application/roles.js';
import { siteEnd, siteTime } from '../../application/times.js';
import type { AdminContext } from '../../application/context.js';
import { print, shown, table, yesNo } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';
import { registerPersonCsv } from './person-csv.js';

const fullName = (p: PersonView) => shown(`${p.first_name} ${p.last_name}`);

/** valid_from/valid_to in site time; the end is exclusive, so a date-only valid_to reads back as "through" that day. */
function validity(ctx: AdminContext, p: PersonView): string {
  if (!p.valid_from && !p.valid_to) return 'always';
  const zone = ctx.config.site.time_zone;
  return `${p.valid_from ? siteTime(p.valid_from, zone) : '…'} to ${p.valid_to ? siteEnd(p.valid_to, zone) : '…'}`;
}

/** Role names by id, for lists that would otherwise show bare ids. */
function roleNames(ctx: AdminContext): (ids: number[]) => string {
  const names = new Map(listRoles(ctx).map((r) => [r.id, r.name]));
  return (ids) => ids.map((id) => names.get(id) ?? `role ${id}`).join(', ');
}

/** A visitor has no standing role: only reservations let them in (`person add --visitor`, or every role removed). */
const isVisitor = (p: PersonView) => p.roles.length === 0;

export function registerPerson(program: Command): void {
  const person = program.command('person').description('people who may hold PINs and cards');

  person
    .command('add')
    .description('add a person')
    .requiredOption('--first-name <name>', 'first name')
    .requiredOption('--last-name <name>', 'last name')
    .option('--email <email>', 'email address (unique)')
    .option('--valid-from <time>', 'no access before this time (ISO 8601; without an offset, site local time; a date alone: from its start)')
    .option('--valid-to <time>', 'no access from this time on (a date alone, 2026-12-31: through the end of that day)')
    .option('--notes <text>', 'free text')
    .option('--visitor', 'no standing role: access only through reservations')
    .option('--emergency', 'an emergency credential holder: their credentials still open doors during a lockdown')
    .option('--unlock-seconds <n>', 'hold the relay this long for them at every door when longer than the door’s time (accessibility)', positiveInt)
    .action(
      withSession(
        (
          s,
          o: {
            firstName: string;
            lastName: string;
            email?: string;
            validFrom?: string;
            validTo?: string;
            notes?: string;
            visitor?: boolean;
            emergency?: boolean;
            unlockSeconds?: number;
          },
        ) => {
          const ctx = s.admin();
          const added = addPerson(ctx, {
            visitor: o.visitor === true,
            first_name: o.firstName,
            last_name: o.lastName,
            email: o.email,
            valid_from: o.validFrom,
            valid_to: o.validTo,
            notes: o.notes,
            unlock_seconds: o.unlockSeconds,
          });
          const p = o.emergency ? setPersonEmergency(ctx, added.id, true) : added;
          print(s, p, () =>
            [
              `Added person ${p.id}: ${fullName(p)}${p.email ? ` <${shown(p.email)}>` : ''}`,
              `  roles: ${isVisitor(p) ? 'none (a visitor: access only through reservations)' : roleNames(ctx)(p.roles)}`,
              `  valid: ${validity(ctx, p)}`,
            ].join('\n'),
          );
        },
      ),
    );

  person
    .command('list')
    .description('list people, with their roles (VISITOR yes: no role, access only through reservations)')
    .option('--email <email>', 'only the person with this email')
    .action(
      withSession((s, o: { email?: string }) => {
        const ctx = s.admin();
        const people = listPeople(ctx, { email: o.email, per_page: Number.MAX_SAFE_INTEGER });
        const roles = roleNames(ctx);
        print(s, people, () =>
          table(
            ['ID', 'NAME', 'EMAIL', 'ENABLED', 'VISITOR', 'ROLES', 'VALID'],
            people.map((p) => [
              p.id,
              fullName(p),
              p.email,
              yesNo(p.enabled),
              yesNo(isVisitor(p)),
              isVisitor(p) ? null : roles(p.roles),
              validity(ctx, p),
            ]),
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
        const zone = ctx.config.site.time_zone;
        print(s, p, () =>
          [
            `Person ${p.id}: ${fullName(p)}`,
            `  email:    ${shown(p.email)}`,
            `  enabled:  ${yesNo(p.enabled)}`,
            `  roles:    ${isVisitor(p) ? 'none (a visitor: access only through reservations)' : roleNames(ctx)(p.roles)}`,
            `  valid:    ${validity(ctx, p)}`,
            `  notes:    ${shown(p.notes)}`,
            `  created:  ${siteTime(p.created_at, zone)}`,
            `  credentials: ${creds.map((c) => `${c.label} ${c.id}${c.enabled ? '' : ' (disabled)'}`).join(', ') || 'none'}`,
            `  reservations: ${reservations.map((r) => `${siteTime(r.start_time, zone)} to ${siteEnd(r.end_time, zone)}`).join(', ') || 'none'}`,
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
    .command('emergency')
    .description('mark a person as an emergency credential holder (on), or not (off): their credentials pass a lockdown')
    .argument('<id>', 'person id', positiveInt)
    .argument('<on|off>', 'on or off')
    .action(
      withSession((s, id: number, state: string) => {
        if (state !== 'on' && state !== 'off') throw invalid('state', 'must be on or off');
        const p = setPersonEmergency(s.admin(), id, state === 'on');
        print(s, p, () => `Person ${p.id} (${fullName(p)}) ${p.emergency ? 'is' : 'is no longer'} an emergency credential holder`);
      }),
    );

  person
    .command('update')
    .description('change a person’s door options')
    .argument('<id>', 'person id', positiveInt)
    .requiredOption(
      '--unlock-seconds <n|door>',
      'hold the relay this long for them at every door (when longer than the door’s), or door for the door’s own time',
    )
    .action(
      withSession((s, id: number, o: { unlockSeconds: string }) => {
        const seconds = o.unlockSeconds === 'door' ? null : /^[0-9]+$/.test(o.unlockSeconds) ? Number(o.unlockSeconds) : o.unlockSeconds;
        const p = updatePerson(s.admin(), id, { unlock_seconds: seconds });
        print(s, p, () => `Person ${p.id} (${fullName(p)}): unlock time ${p.unlock_seconds === null ? 'the door’s own' : `${p.unlock_seconds} s`}`);
      }),
    );

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

  registerPersonCsv(person);
}
