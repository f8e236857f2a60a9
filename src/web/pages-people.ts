/**
 * People: search (name, email or card number) and a paged list that stays fast with 100,000 people (50 a page, by
 * id); create, edit, enable/disable, delete. A person's page lists their credentials: a generated PIN (shown once),
 * a custom PIN (with the policy's warnings), a card; disable/enable; delete; reset (delete + a new generated PIN, as
 * the PIN guide says). The console never shows a stored PIN.
 */
import { addPerson, deletePerson, getPerson, updatePerson } from '../application/people.js';
import { createCredential, deleteCredential, getCredentialRow, listCredentials, updateCredential } from '../application/credentials.js';
import { audit, findPeople } from '../application/console-reads.js';
import { CARD_TYPE_ID, PIN_TYPE_ID } from '../storage/credential-repo.js';
import { httpError } from '../http/errors.js';
import { csrfField, notice, page } from './layout.js';
import { html, type Html } from './html.js';
import { mayDo } from './auth.js';
import type { WebContext, WebRoute } from './deps.js';
import { pinOnce } from './pin-once.js';
import { enrolPanel, enrolRoutes } from './pages-enrol.js';

const PER_PAGE = 50;

function idOf(text: string | null | undefined, field = 'id'): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1) throw httpError(422, 'validation_failed', `${field}: must be a person id`);
  return id;
}

const post = (c: WebContext, action: string, fields: Record<string, string | number>, label: string, danger = false): Html =>
  html`<form method="post" action="${action}">
    ${csrfField(c.viewer)}${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}<button
      type="submit"
      ${danger ? html` class="danger"` : ''}
    >
      ${label}
    </button>
  </form>`;

function personForm(c: WebContext, person?: { id: number; first_name: string; last_name: string; email: string | null }): Html {
  return html`<form method="post" action="${person ? 'person-update' : 'people-add'}" class="card">
    ${csrfField(c.viewer)}${person ? html`<input type="hidden" name="id" value="${person.id}" />` : ''}
    <h2>${person ? 'Edit' : 'New person'}</h2>
    <label for="first_name">First name</label
    ><input id="first_name" name="first_name" type="text" required maxlength="100" value="${person?.first_name ?? ''}" />
    <label for="last_name">Last name</label
    ><input id="last_name" name="last_name" type="text" required maxlength="100" value="${person?.last_name ?? ''}" /> <label for="email">Email</label
    ><input id="email" name="email" type="email" maxlength="200" value="${person?.email ?? ''}" />
    <p><button type="submit">${person ? 'Save' : 'Create'}</button></p>
  </form>`;
}

function personPage(c: WebContext, id: number, top: Html | string = ''): Html {
  const p = getPerson(c.admin, id);
  const creds = listCredentials(c.admin, { person_id: id, per_page: 50 });
  const write = mayDo(c.viewer.role, 'write');
  const hasPin = creds.some((x) => x.credential_type_id === PIN_TYPE_ID);
  const hasCard = creds.some((x) => x.credential_type_id === CARD_TYPE_ID);
  return page(
    `${p.first_name} ${p.last_name}`,
    c.viewer,
    html`${top}
      <section class="card">
        <p>${p.email ?? 'no email'} · ${p.enabled ? 'enabled' : 'disabled'}${p.synced ? ' · synced from the upstream (change it there)' : ''}</p>
        ${write ? html`<div class="actions">${post(c, 'person-enabled', { id, enabled: p.enabled ? 0 : 1 }, p.enabled ? 'Disable person' : 'Enable person')}${post(c, 'person-delete', { id }, 'Delete person', true)}</div>` : ''}
      </section>
      <section class="card">
        <h2>Credentials</h2>
        ${creds.length === 0 ? html`<p>None yet.</p>` : ''}
        <ul>
          ${creds.map(
            (x) =>
              html`<li>
                ${x.label}${x.credential_type_id === CARD_TYPE_ID ? html` ${x.value}` : ''} ·
                ${x.enabled ? 'enabled' : 'disabled'}${
                  write
                    ? html`<div class="actions">
                        ${post(c, 'credential-enabled', { id, credential: x.id, enabled: x.enabled ? 0 : 1 }, x.enabled ? 'Disable' : 'Enable')}${
                          x.credential_type_id === PIN_TYPE_ID ? post(c, 'credential-reset', { id, credential: x.id }, 'Reset PIN') : ''
                        }${post(c, 'credential-delete', { id, credential: x.id }, 'Delete', true)}
                      </div>`
                    : ''
                }
              </li>`,
          )}
        </ul>
        ${
          write && !hasPin
            ? html`<form method="post" action="credential-pin">
                ${csrfField(c.viewer)}<input type="hidden" name="id" value="${id}" /> <label for="pin">Custom PIN (leave empty to generate one)</label
                ><input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="8" pattern="[0-9]{4,8}" />
                <p><button type="submit">Add PIN</button></p>
              </form>`
            : ''
        }
        ${
          write && !hasCard
            ? html`<form method="post" action="credential-card">
                  ${csrfField(c.viewer)}<input type="hidden" name="id" value="${id}" /> <label for="card">Card number</label
                  ><input id="card" name="card" type="text" inputmode="numeric" required maxlength="20" />
                  <p><button type="submit">Add card</button></p>
                </form>
                ${p.synced ? '' : enrolPanel(c, id)}`
            : ''
        }
      </section>
      ${write && !p.synced ? personForm(c, p) : ''}`,
    'people',
  );
}

export const PEOPLE_ROUTES: WebRoute[] = [
  ...enrolRoutes(personPage),
  {
    method: 'GET',
    url: '/people',
    need: 'read',
    handler: (c) => {
      const term = (c.query.get('q') ?? '').slice(0, 100);
      const pageNo = Math.max(1, Math.min(1_000_000, Math.floor(Number(c.query.get('page') ?? 1)) || 1));
      const { people, total } = findPeople(c.admin, term, pageNo, PER_PAGE);
      const link = (n: number) => `people?q=${encodeURIComponent(term)}&page=${n}`;
      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      return page(
        'People',
        c.viewer,
        html`<form method="get" action="people" class="card" role="search">
            <label for="q">Search by name, email or card number</label>
            <input id="q" name="q" type="search" value="${term}" maxlength="100" />
            <p><button type="submit">Search</button></p>
          </form>
          <p>${total} ${total === 1 ? 'person' : 'people'}${term ? html` matching “${term}”` : ''} · page ${pageNo} of ${pages}</p>
          <div class="table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                ${people.map(
                  (p) =>
                    html`<tr>
                      <td><a href="person?id=${p.id}">${p.first_name} ${p.last_name}</a></td>
                      <td>${p.email ?? ''}</td>
                      <td>${p.enabled ? 'enabled' : 'disabled'}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            ${pageNo > 1 ? html`<a href="${link(pageNo - 1)}">Previous</a>` : ''}${pageNo < pages ? html`<a href="${link(pageNo + 1)}">Next</a>` : ''}
          </nav>
          ${mayDo(c.viewer.role, 'write') ? personForm(c) : ''}`,
        'people',
      );
    },
  },
  {
    method: 'POST',
    url: '/people-add',
    need: 'write',
    handler: (c) => {
      const p = addPerson(c.admin, { first_name: c.form.first_name, last_name: c.form.last_name, email: c.form.email ? c.form.email : null });
      audit(c.admin, c.viewer.name, 'person.add', `person:${p.id}`);
      return c.reply.redirect(`person?id=${p.id}`, 303);
    },
  },
  { method: 'GET', url: '/person', need: 'read', handler: (c) => personPage(c, idOf(c.query.get('id'))) },
  {
    method: 'POST',
    url: '/person-update',
    need: 'write',
    handler: (c) => {
      const id = idOf(c.form.id);
      updatePerson(c.admin, id, { first_name: c.form.first_name, last_name: c.form.last_name, email: c.form.email ? c.form.email : null });
      audit(c.admin, c.viewer.name, 'person.update', `person:${id}`);
      return personPage(c, id, notice('ok', 'Saved.'));
    },
  },
  {
    method: 'POST',
    url: '/person-enabled',
    need: 'write',
    handler: (c) => {
      const id = idOf(c.form.id);
      updatePerson(c.admin, id, { enabled: c.form.enabled === '1' });
      audit(c.admin, c.viewer.name, c.form.enabled === '1' ? 'person.enable' : 'person.disable', `person:${id}`);
      return personPage(c, id, notice('ok', c.form.enabled === '1' ? 'Enabled.' : 'Disabled: their credentials open nothing now.'));
    },
  },
  {
    method: 'POST',
    url: '/person-delete',
    need: 'write',
    handler: (c) => {
      const p = deletePerson(c.admin, idOf(c.form.id));
      audit(c.admin, c.viewer.name, 'person.delete', `person:${p.id}`);
      return c.reply.redirect('people', 303);
    },
  },
  {
    method: 'POST',
    url: '/credential-pin',
    need: 'write',
    handler: (c) => {
      const id = idOf(c.form.id);
      const custom = (c.form.pin ?? '').trim();
      const made = createCredential(c.admin, { person_id: id, credential_type_id: PIN_TYPE_ID, value: custom === '' ? undefined : custom });
      audit(c.admin, c.viewer.name, custom ? 'pin.add_custom' : 'pin.add_generated', `person:${id}`, { credential_id: made.credential.id });
      if (custom) return personPage(c, id, html`${notice('ok', 'PIN added.')}${made.warnings.map((w) => notice('error', w))}`);
      const p = getPerson(c.admin, id);
      return personPage(c, id, pinOnce(made.credential.value ?? '', `${p.first_name} ${p.last_name}`, made.warnings));
    },
  },
  {
    method: 'POST',
    url: '/credential-card',
    need: 'write',
    handler: (c) => {
      const id = idOf(c.form.id);
      const made = createCredential(c.admin, { person_id: id, credential_type_id: CARD_TYPE_ID, value: (c.form.card ?? '').trim() });
      audit(c.admin, c.viewer.name, 'card.add', `person:${id}`, { credential_id: made.credential.id });
      return personPage(c, id, notice('ok', 'Card added.'));
    },
  },
  {
    method: 'POST',
    url: '/credential-enabled',
    need: 'write',
    handler: (c) => {
      const id = idOf(c.form.id);
      updateCredential(c.admin, String(c.form.credential), { enabled: c.form.enabled === '1' }, id);
      audit(c.admin, c.viewer.name, c.form.enabled === '1' ? 'credential.enable' : 'credential.disable', `credential:${c.form.credential}`);
      return personPage(c, id, notice('ok', c.form.enabled === '1' ? 'Credential enabled.' : 'Credential disabled.'));
    },
  },
  {
    method: 'POST',
    url: '/credential-delete',
    need: 'write',
    handler: (c) => {
      const id = idOf(c.form.id);
      deleteCredential(c.admin, String(c.form.credential), id);
      audit(c.admin, c.viewer.name, 'credential.delete', `credential:${c.form.credential}`);
      return personPage(c, id, notice('ok', 'Credential deleted.'));
    },
  },
  {
    method: 'POST',
    url: '/credential-reset',
    need: 'write',
    handler: (c) => {
      const id = idOf(c.form.id);
      const old = getCredentialRow(c.admin, String(c.form.credential), id);
      if (old.credential_type_id !== PIN_TYPE_ID) throw httpError(422, 'validation_failed', 'credential: only a PIN is reset');
      deleteCredential(c.admin, old.id, id);
      const made = createCredential(c.admin, { person_id: id, credential_type_id: PIN_TYPE_ID });
      audit(c.admin, c.viewer.name, 'pin.reset', `person:${id}`, { deleted: old.id, credential_id: made.credential.id });
      const p = getPerson(c.admin, id);
      return personPage(c, id, pinOnce(made.credential.value ?? '', `${p.first_name} ${p.last_name}`, made.warnings));
    },
  },
];
