/** keypadd shift add|list|delete and keypadd holiday add|list|delete|import: the site calendar, in the database. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { invalid } from '../../application/errors.js';
import { addHoliday, addShift, deleteHoliday, deleteShift, importHolidays, listHolidays, listShifts } from '../../application/site-calendar.js';
import { print, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCalendar(program: Command): void {
  const shift = program.command('shift').description('auto-unlock shifts: named weekly slots in site time (`keypadd door auto-unlock`)');
  shift
    .command('add')
    .description('add a shift')
    .requiredOption('--name <name>', 'shift name (unique)')
    .requiredOption('--slot <spec>', 'a weekly slot in site time, e.g. "mon-fri 09:00-17:00" (repeat)', collect)
    .option('--first-person-in', 'unlock only once someone with access is let in after the shift starts')
    .option('--last-to-leave', 'after the shift ends, stay unlocked until a REX press or a card or PIN (at most an hour)')
    .action(
      withSession((s, o: { name: string; slot: string[]; firstPersonIn?: boolean; lastToLeave?: boolean }) => {
        const r = addShift(s.admin(), {
          name: o.name,
          slots: o.slot,
          first_person_in: o.firstPersonIn === true,
          last_to_leave: o.lastToLeave === true,
        });
        print(s, r, () => `Added shift ${r.id} "${r.name}": ${r.slots.join('; ')}`);
      }),
    );
  shift
    .command('list')
    .description('list shifts')
    .action(
      withSession((s) => {
        const list = listShifts(s.admin());
        print(s, list, () =>
          table(
            ['ID', 'NAME', 'SLOTS', 'FIRST PERSON IN', 'LAST TO LEAVE'],
            list.map((r) => [r.id, r.name, r.slots.join('; '), r.first_person_in ? 'yes' : 'no', r.last_to_leave ? 'yes' : 'no']),
            'No shifts.',
          ),
        );
      }),
    );
  shift
    .command('delete')
    .description('delete a shift no door uses')
    .argument('<id>', 'shift id', positiveInt)
    .action(withSession((s, id: number) => print(s, deleteShift(s.admin(), id), () => `Deleted shift ${id}`)));

  const holiday = program.command('holiday').description('holidays: days that override role schedules and shifts');
  holiday
    .command('add')
    .description('add a holiday (closed all day, or open only in --slot); replaces one on the same date')
    .requiredOption('--name <name>', 'what it is')
    .requiredOption('--date <date>', 'YYYY-MM-DD once, or MM-DD every year')
    .option('--slot <spec>', 'open only then that day, e.g. "daily 08:00-12:00" (repeat; default closed)', collect)
    .action(
      withSession((s, o: { name: string; date: string; slot?: string[] }) => {
        const h = addHoliday(s.admin(), { name: o.name, date: o.date, slots: o.slot ?? [] });
        print(
          s,
          h,
          () => `Added holiday ${h.id} "${h.name}" on ${h.date}${h.yearly ? ' (every year)' : ''}: ${h.closed ? 'closed' : h.slots.join('; ')}`,
        );
      }),
    );
  holiday
    .command('list')
    .description('list holidays')
    .action(
      withSession((s) => {
        const list = listHolidays(s.admin());
        print(s, list, () =>
          table(
            ['ID', 'DATE', 'NAME', 'OPEN'],
            list.map((h) => [h.id, h.date + (h.yearly ? ' (yearly)' : ''), h.name, h.closed ? 'closed' : h.slots.join('; ')]),
            'No holidays.',
          ),
        );
      }),
    );
  holiday
    .command('delete')
    .description('delete a holiday')
    .argument('<id>', 'holiday id', positiveInt)
    .action(withSession((s, id: number) => print(s, deleteHoliday(s.admin(), id), () => `Deleted holiday ${id}`)));
  holiday
    .command('import')
    .description('import the all-day events of an iCalendar (.ics) file as closed holidays')
    .argument('<file>', 'an .ics file (public holidays)')
    .action(
      withSession((s, file: string) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          throw invalid('file', `cannot be read (${(err as Error).message})`);
        }
        const r = importHolidays(s.admin(), text);
        print(s, r, () => `Imported ${r.imported.length} holiday(s)${r.skipped ? `; skipped ${r.skipped} timed event(s)` : ''}`);
      }),
    );
}
