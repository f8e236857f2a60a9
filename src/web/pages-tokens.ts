/** API tokens (admins only): create with scopes (the token shown once), list without values, revoke. */
import { TokenRepo } from '../storage/token-repo.js';
import { nowIso } from '../application/context.js';
import { audit } from '../application/console-reads.js';
import { notFound, Problems } from '../application/errors.js';
import { siteTime } from '../application/times.js';
import { controlCharProblem } from '../core/text.js';
import { SCOPES } from '../core/scopes.js';
import { csrfField, notice, page } from './layout.js';
import { html, type Html } from './html.js';
import type { WebContext, WebRoute } from './deps.js';

function tokensPage(c: WebContext, top: Html | string = ''): Html {
  const zone = c.admin.config.site.time_zone;
  const rows = new TokenRepo(c.admin.store.db).list();
  return page(
    'API tokens',
    c.viewer,
    html`${top}
      <div class="table">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scopes</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (t) =>
                html`<tr>
                  <td>${t.name}</td>
                  <td>${t.scopes.join(', ')}</td>
                  <td>${t.last_used_at ? siteTime(t.last_used_at, zone) : 'never'}</td>
                  <td>
                    ${
                      t.revoked_at
                        ? 'revoked'
                        : html`<form method="post" action="token-revoke">
                            ${csrfField(c.viewer)}<input type="hidden" name="id" value="${t.id}" /><button type="submit" class="danger">
                              Revoke
                            </button>
                          </form>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <form method="post" action="token-add" class="card">
        ${csrfField(c.viewer)}
        <h2>New token</h2>
        <label for="name">What it is for</label><input id="name" name="name" type="text" required maxlength="100" />
        <fieldset>
          <legend>Scopes</legend>
          ${SCOPES.map((s) => html`<p class="inline"><input type="checkbox" id="scope-${s}" name="scope_${s}" value="1" /> <label for="scope-${s}">${s}</label></p>`)}
        </fieldset>
        <p><button type="submit">Create token</button></p>
      </form>`,
    'tokens',
  );
}

export const TOKEN_ROUTES: WebRoute[] = [
  { method: 'GET', url: '/tokens', need: 'admin', handler: (c) => tokensPage(c) },
  {
    method: 'POST',
    url: '/token-add',
    need: 'admin',
    handler: (c) => {
      const problems = new Problems();
      const name = (c.form.name ?? '').trim();
      if (name === '') problems.add('name', 'must not be empty');
      const text = controlCharProblem(name);
      if (text) problems.add('name', text);
      const scopes = SCOPES.filter((s) => c.form[`scope_${s}`] === '1');
      if (scopes.length === 0) problems.add('scope', 'choose at least one');
      problems.throwIfAny();
      const { token, row } = new TokenRepo(c.admin.store.db).create(name, scopes, nowIso(c.admin));
      audit(c.admin, c.viewer.name, 'token.add', `token:${row.id}`, { scopes });
      return tokensPage(
        c,
        html`<section class="card">
            <h2>Token ${row.name}</h2>
            <p class="pin" id="new-pin">${token}</p>
            <p><button type="button" id="copy-pin" data-copy="new-pin">Copy token</button> <span id="copy-status" role="status"></span></p>
            <p><strong>Shown only this once:</strong> keypadd keeps only its hash.</p>
          </section>
          <script src="static/copy.js" defer></script>`,
      );
    },
  },
  {
    method: 'POST',
    url: '/token-revoke',
    need: 'admin',
    handler: (c) => {
      const id = Number(c.form.id);
      if (!new TokenRepo(c.admin.store.db).revoke(id, nowIso(c.admin))) throw notFound('id', `no live token ${c.form.id}`);
      audit(c.admin, c.viewer.name, 'token.revoke', `token:${id}`);
      return tokensPage(c, notice('ok', 'Token revoked: it is refused from now on.'));
    },
  },
];
