/** keypadd oauth-client add|list|revoke: client ids and secrets for OAuth's client credentials grant (POST /oauth/token). */
import type { Command } from 'commander';
import { nowIso } from '../../application/context.js';
import { Problems, notFound } from '../../application/errors.js';
import { SCOPES } from '../../api/scopes.js';
import { controlCharProblem } from '../../core/text.js';
import { OAuthClientRepo } from '../../storage/oauth-client-repo.js';
import { print, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerOAuthClient(program: Command): void {
  const client = program.command('oauth-client').description('OAuth clients: scripts trade an id and secret for 2-hour tokens (secret shown once)');

  client
    .command('add')
    .description('make a client that may ask for tokens with at most these scopes')
    .requiredOption('--name <name>', 'what it is for (tokens it gets are named oauth:<name>)')
    .requiredOption('--scope <scope>', `a DoorFlow scope (repeat): ${SCOPES.join(', ')}`, collect)
    .action(
      withSession((s, o: { name: string; scope: string[] }) => {
        const problems = new Problems();
        for (const sc of o.scope)
          if (!(SCOPES as readonly string[]).includes(sc)) problems.add('scope', `"${sc}" is not one of ${SCOPES.join(', ')}`);
        if (o.name.trim() === '') problems.add('name', 'must not be empty');
        const text = controlCharProblem(o.name);
        if (text) problems.add('name', text);
        problems.throwIfAny();
        const ctx = s.admin();
        const { row, secret } = new OAuthClientRepo(ctx.store.db).create(o.name.trim(), [...new Set(o.scope)], nowIso(ctx));
        print(s, { ...row, client_secret: secret }, () =>
          [
            `OAuth client ${row.id} "${row.name}" (${row.scopes.join(', ')}):`,
            `  client_id:     ${row.client_id}`,
            `  client_secret: ${secret}`,
            '  The secret is shown only now: keypadd keeps only its hash.',
          ].join('\n'),
        );
      }),
    );

  client
    .command('list')
    .description('list OAuth clients (never their secrets)')
    .action(
      withSession((s) => {
        const rows = new OAuthClientRepo(s.admin().store.db).list();
        print(s, rows, () =>
          table(
            ['ID', 'NAME', 'CLIENT ID', 'SCOPES', 'CREATED', 'REVOKED'],
            rows.map((r) => [r.id, r.name, r.client_id, r.scopes.join(','), r.created_at, r.revoked_at]),
            'No OAuth clients.',
          ),
        );
      }),
    );

  client
    .command('revoke')
    .description('revoke a client, and every token issued to it, at once')
    .argument('<id>', 'client id (the number)', positiveInt)
    .action(
      withSession((s, id: number) => {
        const ctx = s.admin();
        if (!new OAuthClientRepo(ctx.store.db).revoke(id, nowIso(ctx))) throw notFound('id', `no live OAuth client ${id}`);
        print(s, { id, revoked: true }, () => `OAuth client ${id} revoked, and its tokens`);
      }),
    );
}
