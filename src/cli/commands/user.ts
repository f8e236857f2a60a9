/** keypadd user add|list|delete|passwd: the people who log in to the web console. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { invalid } from '../../application/errors.js';
import { addConsoleUser, deleteConsoleUser, listConsoleUsers, setConsolePassword } from '../../application/console-users.js';
import { siteTime } from '../../application/times.js';
import { CONSOLE_ROLES } from '../../core/scopes.js';
import { print, table } from '../output.js';
import { withSession } from '../session.js';

/** Who a change made here is recorded as, in the console's audit. */
const BY = 'cli';

/**
 * The password, from stdin only: on the command line it would be in `ps` and the shell's history. One line (a
 * trailing newline is dropped), so `printf '%s\n' "$PW" | keypadd user add ...` and typing it then Ctrl-D both work.
 */
function passwordFromStdin(option: string | undefined): string {
  if (option !== '-') throw invalid('password', 'pass --password - and give the password on stdin (never on the command line, where ps shows it)');
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('web console users (passwords stored as scrypt hashes)');

  user
    .command('add')
    .description('add a console user')
    .argument('<name>', 'the login name')
    .requiredOption('--role <role>', `${CONSOLE_ROLES.join('|')}: viewer reads; operator also changes people, visitors and doors; admin everything`)
    .requiredOption('--password <->', 'the password, read from stdin: -')
    .action(
      withSession((s, name: string, o: { role: string; password: string }) => {
        const u = addConsoleUser(s.admin(), { name, role: o.role, password: passwordFromStdin(o.password) }, BY);
        print(s, u, () => `Console user ${u.name} (${u.role}) added`);
      }),
    );

  user
    .command('list')
    .description('list console users (never their passwords)')
    .action(
      withSession((s) => {
        const ctx = s.admin();
        const users = listConsoleUsers(ctx);
        const tz = ctx.config.site.time_zone;
        print(s, users, () =>
          table(
            ['ID', 'NAME', 'ROLE', 'CREATED', 'PASSWORD CHANGED'],
            users.map((u) => [u.id, u.name, u.role, siteTime(u.created_at, tz), siteTime(u.password_changed_at, tz)]),
            'No console users. Add one with: keypadd user add NAME --role admin --password -',
          ),
        );
      }),
    );

  user
    .command('delete')
    .description('delete a console user; their sessions end at once')
    .argument('<name>', 'the login name')
    .action(
      withSession((s, name: string) => {
        const u = deleteConsoleUser(s.admin(), name, BY);
        print(s, { ...u, deleted: true }, () => `Console user ${u.name} deleted`);
      }),
    );

  user
    .command('passwd')
    .description("change a console user's password (from stdin); their sessions end at once")
    .argument('<name>', 'the login name')
    .requiredOption('--password <->', 'the new password, read from stdin: -')
    .action(
      withSession((s, name: string, o: { password: string }) => {
        const u = setConsolePassword(s.admin(), name, passwordFromStdin(o.password), BY);
        print(s, u, () => `Password of ${u.name} changed; their sessions are ended`);
      }),
    );
}
