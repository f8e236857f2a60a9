/** keypadd reservation add|list|delete */
import type { Command } from 'commander';
import { addReservation, deleteReservation, listReservations, type ReservationView } from '../../admin/reservations.js';
import { print, table } from '../output.js';
import { collectInt, positiveInt } from '../parse.js';
import { withSession } from '../session.js';

const doors = (r: ReservationView) => (r.all_channels ? 'all' : r.channel_ids.join(','));

export function registerReservation(program: Command): void {
  const reservation = program.command('reservation').description('time-limited access (visitors)');

  reservation
    .command('add')
    .description('give a person access between two times')
    .requiredOption('--person <id>', 'person id', positiveInt)
    .requiredOption('--start <time>', 'start (ISO 8601; without an offset, site local time)')
    .requiredOption('--end <time>', 'end, after the start and in the future')
    .option('--door <id>', 'a door it is for (repeat for several; default all doors)', collectInt)
    .action(
      withSession((s, o: { person: number; start: string; end: string; door?: number[] }) => {
        const r = addReservation(s.admin(), { person_id: o.person, start_time: o.start, end_time: o.end, channel_ids: o.door });
        print(s, r, () => `Added reservation ${r.id}: person ${r.person_id}, ${r.start_time} to ${r.end_time}, doors ${doors(r)}`);
      }),
    );

  reservation
    .command('list')
    .description('list current and future reservations')
    .option('--person <id>', 'only this person’s', positiveInt)
    .option('--all', 'include past ones')
    .action(
      withSession((s, o: { person?: number; all?: boolean }) => {
        const list = listReservations(s.admin(), { person_id: o.person, include_past: o.all === true, per_page: Number.MAX_SAFE_INTEGER });
        print(s, list, () =>
          table(
            ['ID', 'PERSON', 'START', 'END', 'DOORS'],
            list.map((r) => [r.id, r.person_id, r.start_time, r.end_time, doors(r)]),
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
