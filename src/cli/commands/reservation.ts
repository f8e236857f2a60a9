/** keypadd reservation add|list|delete */
import type { Command } from 'commander';
import type { AdminContext } from '../../application/context.js';
import { getPerson } from '../../application/people.js';
import { addReservation, deleteReservation, listReservations, type ReservationView } from '../../application/reservations.js';
import { siteEnd, siteTime } from '../../application/times.js';
import { print, table } from '../output.js';
import { collectInt, positiveInt } from '../parse.js';
import { withSession } from '../session.js';

/** Door names, as the config gives them: what an admin recognises, where ids say nothing. */
function doorNames(ctx: AdminContext, r: ReservationView): string {
  if (r.all_channels) return 'all';
  const names = new Map(ctx.config.doors.map((d) => [d.id, d.name]));
  return r.channel_ids.map((id) => names.get(id) ?? `door ${id}`).join(', ');
}

/** "Jane Visitor (2)": the name, and the id the other commands take. Looked up once per person. */
function personNames(ctx: AdminContext): (id: number) => string {
  const cache = new Map<number, string>();
  return (id) => {
    let name = cache.get(id);
    if (name === undefined) {
      const p = getPerson(ctx, id);
      name = `${p.first_name} ${p.last_name} (${id})`;
      cache.set(id, name);
    }
    return name;
  };
}

export function registerReservation(program: Command): void {
  const reservation = program.command('reservation').description('time-limited access (visitors)');

  reservation
    .command('add')
    .description('give a person access between two times, shown back in site time')
    .requiredOption('--person <id>', 'person id', positiveInt)
    .requiredOption('--start <time>', 'start (ISO 8601; without an offset, site local time; a date alone, 2030-01-15: from the start of that day)')
    .requiredOption('--end <time>', 'end, after the start and in the future (a date alone, 2030-01-15: through the end of that day)')
    .option('--door <id>', 'a door it is for (repeat for several; default all doors)', collectInt)
    .action(
      withSession((s, o: { person: number; start: string; end: string; door?: number[] }) => {
        const ctx = s.admin();
        const r = addReservation(ctx, { person_id: o.person, start_time: o.start, end_time: o.end, channel_ids: o.door });
        const zone = ctx.config.site.time_zone;
        print(
          s,
          r,
          () =>
            `Added reservation ${r.id}: ${personNames(ctx)(r.person_id)}, ${siteTime(r.start_time, zone)} to ${siteEnd(r.end_time, zone)}, doors: ${doorNames(ctx, r)}`,
        );
      }),
    );

  reservation
    .command('list')
    .description('list current and future reservations (times in site time)')
    .option('--person <id>', 'only this person’s', positiveInt)
    .option('--all', 'include past ones')
    .action(
      withSession((s, o: { person?: number; all?: boolean }) => {
        const ctx = s.admin();
        const list = listReservations(ctx, { person_id: o.person, include_past: o.all === true, per_page: Number.MAX_SAFE_INTEGER });
        const zone = ctx.config.site.time_zone;
        const person = personNames(ctx);
        print(s, list, () =>
          table(
            ['ID', 'PERSON', 'START', 'END', 'DOORS'],
            list.map((r) => [r.id, person(r.person_id), siteTime(r.start_time, zone), siteEnd(r.end_time, zone), doorNames(ctx, r)]),
            'No current or future reservations.',
          ),
        );
      }),
    );

  reservation
    .command('delete')
    .description('delete a reservation')
    .argument('<id>', 'reservation id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const r = deleteReservation(s.admin(), id);
        print(s, r, () => `Deleted reservation ${r.id}`);
      }),
    );
}
