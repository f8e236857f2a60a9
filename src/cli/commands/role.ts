/** keypadd role add|list|assign|unassign|delete */
import type { Command } from 'commander';
import { assignRole } from '../../application/memberships.js';
import { addRole, deleteRole, listRoles, type RoleView } from '../../application/roles.js';
import { print, table } from '../output.js';
import { collectInt, positiveInt } from '../parse.js';
import { withSession } from '../session.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const doors = (r: RoleView) => (r.all_channels ? 'all' : r.channel_ids.join(','));
const when = (r: RoleView) => (r.always ? '24/7' : r.schedule.join('; '));

export function registerRole(program: Command): void {
  const role = program.command('role').description('standing access: doors and weekly time slots');

  role
    .command('add')
    .description('add a role')
    .requiredOption('--name <name>', 'role name (unique)')
    .option('--door <id>', 'a door it opens (repeat; default all doors)', collectInt)
    .option('--slot <spec>', 'a weekly slot in site time, e.g. "mon-fri 07:00-19:00" (repeat; default 24/7)', collect)
    .action(
      withSession((s, o: { name: string; door?: number[]; slot?: string[] }) => {
        const r = addRole(s.admin(), { name: o.name, doors: o.door, slots: o.slot });
        print(s, r, () => `Added role ${r.id} "${r.name}": doors ${doors(r)}, ${when(r)}`);
      }),
    );

  role
    .command('list')
    .description('list roles with their doors and schedules')
    .action(
      withSession((s) => {
        const list = listRoles(s.admin());
        print(s, list, () =>
          table(
            ['ID', 'NAME', 'DOORS', 'WHEN', 'PEOPLE'],
            list.map((r) => [r.id, r.name + (r.builtin ? ' (built in)' : ''), doors(r), when(r), r.people]),
            'No roles.',
          ),
        );
      }),
    );

  for (const [verb, assign] of [
    ['assign', true],
    ['unassign', false],
  ] as const) {
    role
      .command(verb)
      .description(`${verb} a role ${assign ? 'to' : 'from'} a person`)
      .requiredOption('--person <id>', 'person id', positiveInt)
      .requiredOption('--role <rid>', 'role id', positiveInt)
      .action(
        withSession((s, o: { person: number; role: number }) => {
          const r = assignRole(s.admin(), o.person, o.role, assign);
          print(s, r, () => `Role ${r.id} "${r.name}" ${assign ? 'assigned to' : 'removed from'} person ${o.person}`);
        }),
      );
  }

  role
    .command('delete')
    .description('delete a role (its holders lose the access it gave)')
    .argument('<rid>', 'role id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const r = deleteRole(s.admin(), id);
        print(s, r, () => `Deleted role ${r.id} "${r.name}"`);
      }),
    );
}
