/** keypadd token add|list|revoke: bearer tokens for the HTTP API. */
import type { Command } from 'commander';
import { nowIso } from '../../application/context.js';
import { Problems, notFound } from '../../application/errors.js';
import { SCOPES } from '../../core/scopes.js';
import { siteTime } from '../../application/times.js';
import { TokenRepo } from '../../storage/token-repo.js';
import { print, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';
import { controlCharProblem } from '../../core/text.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerToken(program: Command): void {
  const token = program.command('token').description('API bearer tokens (stored hashed; shown once)');

  token
    .command('add')
    .description('make a token with the given scopes')
    .requiredOption('--scope <scope>', `a DoorFlow scope (repeat): ${SCOPES.join(', ')}`, collect)
    .option('--name <name>', 'what the token is for (shown in events it causes)', 'api')
    .action(
      withSession((s, o: { scope: string[]; name: string }) => {
        const problems = new Problems();
        for (const sc of o.scope)
          if (!(SCOPES as readonly string[]).includes(sc)) problems.add('scope', `"${sc}" is not one of ${SCOPES.join(', ')}`);
        if (o.name.trim() === '') problems.add('name', 'must not be empty');
        const text = controlCharProblem(o.name);
        if (text) problems.add('name', text);
        problems.throwIfAny();
        const ctx = s.admin();
        const { token: value, row } = new TokenRepo(ctx.store.db).create(o.name.trim(), [...new Set(o.scope)], nowIso(ctx));
        print(s, { ...row, token: value }, () =>
          [
            `Token ${row.id} "${row.name}" (${row.scopes.join(', ')}):`,
            `  ${value}`,
            '  This is the only time it is shown: keypadd keeps only its hash.',
          ].join('\n'),
        );
      }),
    );

  token
    .command('list')
    .description('list tokens (never their values)')
    .action(
      withSession((s) => {
        const ctx = s.admin();
        const rows = new TokenRepo(ctx.store.db).list();
        const shown = (iso: string | null) => (iso === null ? null : siteTime(iso, ctx.config.site.time_zone));
        print(s, rows, () =>
          table(
            ['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'REVOKED'],
            rows.map((r) => [r.id, r.name, r.scopes.join(','), shown(r.created_at), shown(r.last_used_at), shown(r.revoked_at)]),
            'No tokens. Make one with: keypadd token add --scope account.person',
          ),
        );
      }),
    );

  token
    .command('revoke')
    .description('revoke a token at once')
    .argument('<id>', 'token id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const ctx = s.admin();
        if (!new TokenRepo(ctx.store.db).revoke(id, nowIso(ctx))) throw notFound('id', `no live token ${id}`);
        print(s, { id, revoked: true }, () => `Token ${id} revoked`);
      }),
    );
}
