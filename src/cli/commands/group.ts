/** keypadd group add|list|assign|unassign|delete, and keypadd group-reservation add|list|delete */
import type { Command } from 'commander';
import {
  addGroup,
  addGroupReservation,
  deleteGroup,
  deleteGroupReservation,
  listGroupReservations,
  listGroups,
  setGroupMember,
  type GroupView,
} from '../../application/groups.js';
import { siteEnd, siteTime } from '../../application/times.js';
import { print, table } from '../output.js';
import { collectInt, positiveInt } from '../parse.js';
import { withSession } from '../session.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const doors = (g: GroupView) => (g.all_channels ? 'all' : g.channel_ids.join(','));
const when = (g: GroupView) => (g.always ? '24/7' : g.schedule.join('; '));

export function registerGroup(program: Command): void {
  const group = program.command('group').description("DoorFlow's groups: doors and weekly time slots, like a role");

  group
    .command('add')
    .description('add a group')
    .requiredOption('--name <name>', 'group name (unique)')
    .option('--notes <text>', 'notes')
    .option('--door <id>', 'a door it opens (repeat; default all doors)', collectInt)
    .option('--slot <spec>', 'a weekly slot in site time, e.g. "mon-fri 07:00-19:00" (repeat; default 24/7)', collect)
    .action(
      withSession((s, o: { name: string; notes?: string; door?: number[]; slot?: string[] }) => {
        const g = addGroup(s.admin(), { name: o.name, notes: o.notes, doors: o.door, slots: o.slot });
        print(s, g, () => `Added group ${g.id} "${g.name}": doors ${doors(g)}, ${when(g)}`);
      }),
    );

  group
    .command('list')
    .description('list groups with their doors and schedules')
    .action(
      withSession((s) => {
        const list = listGroups(s.admin());
        print(s, list, () =>
          table(
            ['ID', 'NAME', 'DOORS', 'WHEN', 'PEOPLE'],
            list.map((g) => [g.id, g.name + (g.synced ? ' (synced)' : ''), doors(g), when(g), g.people]),
            'No groups.',
          ),
        );
      }),
    );

  for (const [verb, member] of [
    ['assign', true],
    ['unassign', false],
  ] as const) {
    group
      .command(verb)
      .description(`${member ? 'add' : 'remove'} a person ${member ? 'to' : 'from'} a group`)
      .requiredOption('--person <id>', 'person id', positiveInt)
      .requiredOption('--group <gid>', 'group id', positiveInt)
      .action(
        withSession((s, o: { person: number; group: number }) => {
          const g = setGroupMember(s.admin(), o.person, o.group, member);
          print(s, g, () => `Person ${o.person} ${member ? 'added to' : 'removed from'} group ${g.id} "${g.name}"`);
        }),
      );
  }

  group
    .command('delete')
    .description('delete a group (its members and group reservations lose the access it gave)')
    .argument('<gid>', 'group id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const g = deleteGroup(s.admin(), id);
        print(s, g, () => `Deleted group ${g.id} "${g.name}"`);
      }),
    );

  const reservation = program.command('group-reservation').description('time-limited membership of a person in groups');

  reservation
    .command('add')
    .description('make a person a member of groups between two times')
    .requiredOption('--person <id>', 'person id', positiveInt)
    .requiredOption('--group <gid>', 'a group (repeat for several)', collectInt)
    .requiredOption('--start <time>', 'start (ISO 8601; without an offset, site local time)')
    .requiredOption('--end <time>', 'end, after the start and in the future (a date alone: through the end of that day)')
    .action(
      withSession((s, o: { person: number; group: number[]; start: string; end: string }) => {
        const ctx = s.admin();
        const r = addGroupReservation(ctx, { person_id: o.person, group_ids: o.group, start_time: o.start, end_time: o.end });
        const zone = ctx.config.site.time_zone;
        print(
          s,
          r,
          () =>
            `Added group reservation ${r.id}: person ${r.person_id} in groups ${r.group_ids.join(',')}, ${siteTime(r.start_time, zone)} to ${siteEnd(r.end_time, zone)} (${r.state})`,
        );
      }),
    );

  reservation
    .command('list')
    .description('list present and future group reservations (times in site time)')
    .option('--all', 'include ended and deactivated ones')
    .action(
      withSession((s, o: { all?: boolean }) => {
        const ctx = s.admin();
        const list = listGroupReservations(ctx, { include_past: o.all === true, per_page: Number.MAX_SAFE_INTEGER });
        const zone = ctx.config.site.time_zone;
        print(s, list, () =>
          table(
            ['ID', 'PERSON', 'GROUPS', 'START', 'END', 'STATE'],
            list.map((r) => [r.id, r.person_id, r.group_ids.join(','), siteTime(r.start_time, zone), siteEnd(r.end_time, zone), r.state]),
            'No current or future group reservations.',
          ),
        );
      }),
    );

  reservation
    .command('delete')
    .description('delete a pending group reservation, or deactivate an active one')
    .argument('<id>', 'group reservation id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const r = deleteGroupReservation(s.admin(), id);
        print(s, r, () => `Group reservation ${r.id} ${r.state === 'deactivated' ? 'deactivated' : 'deleted'}`);
      }),
    );
}
