/**
 * Roles and schedules: the list (doors, weekly slots, holders), and for admins create, edit and delete, through the
 * same rules and refusals as the CLI (src/application/roles.ts). The week is a grid of hour cells per day; slots the
 * grid cannot show (not on the hour, or past midnight) are kept as text beside it, so an edit never loses one.
 * Choices where the issue is silent: an empty grid does NOT silently mean 24/7 (the store's "no slots"), and no door
 * ticked does not silently mean every door: both must be chosen explicitly ("Always", "All doors"), or the form is
 * refused naming the field, so an admin unticking every hour cannot open the door around the clock by accident.
 */
import { addRole, deleteRole, editRole, getRole, listRoles, roleView, type RoleInput } from '../application/roles.js';
import { audit } from '../application/console-reads.js';
import { Problems } from '../application/errors.js';
import { formatSlot, type Slot } from '../core/schedule.js';
import { httpError } from '../http/errors.js';
import { mayDo } from './auth.js';
import { csrfField, notice, page } from './layout.js';
import { html, type Html } from './html.js';
import type { WebContext, WebRoute } from './deps.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const HOURS = Array.from({ length: 24 }, (_, h) => h);
const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;

function idOf(text: string | null | undefined): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1) throw httpError(422, 'validation_failed', 'id: must be a role id');
  return id;
}

/** Slots that fit the grid (on the hour, not past midnight) as cells "d-h"; the rest as text. */
function splitSlots(slots: Slot[]): { cells: Set<string>; other: string[] } {
  const cells = new Set<string>();
  const other: string[] = [];
  for (const s of slots) {
    if (s.startMinute % 60 !== 0 || s.endMinute % 60 !== 0 || s.endMinute <= s.startMinute) {
      other.push(formatSlot(s));
      continue;
    }
    for (let d = 0; d < 7; d++) if (s.days & (1 << d)) for (let h = s.startMinute / 60; h < s.endMinute / 60; h++) cells.add(`${d}-${h}`);
  }
  return { cells, other };
}

/** The grid's ticked cells as slot text: each day's runs of hours, days with the same run joined ("mon,tue 09:00-17:00"). */
export function gridToSlots(form: Record<string, string>): string[] {
  const byRun = new Map<string, string[]>();
  for (let d = 0; d < 7; d++) {
    let start: number | null = null;
    for (let h = 0; h <= 24; h++) {
      const on = h < 24 && form[`h_${d}_${h}`] === '1';
      if (on && start === null) start = h;
      if (!on && start !== null) {
        const run = `${hh(start)}-${hh(h)}`;
        byRun.set(run, [...(byRun.get(run) ?? []), DAYS[d]!]);
        start = null;
      }
    }
  }
  return [...byRun].map(([run, days]) => `${days.join(',')} ${run}`);
}

/** The form's role: explicit "All doors" / "Always", never an empty choice standing for everything. */
function roleInput(c: WebContext): RoleInput {
  const f = c.form;
  const problems = new Problems();
  const doors = c.admin.config.doors.map((d) => d.id).filter((id) => f[`door_${id}`] === '1');
  const allDoors = f.all_doors === '1';
  if (allDoors && doors.length > 0) problems.add('door', 'choose "All doors" or some doors, not both');
  if (!allDoors && doors.length === 0) problems.add('door', 'choose at least one door, or "All doors"');
  const other = (f.other_slots ?? '')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const slots = [...gridToSlots(f), ...other];
  const always = f.always === '1';
  if (always && slots.length > 0) problems.add('slot', 'choose "Always (24/7)" or hours in the grid, not both');
  if (!always && slots.length === 0) problems.add('slot', 'tick at least one hour in the grid, or "Always (24/7)"');
  problems.throwIfAny();
  return { name: f.name, doors: allDoors ? [] : doors, slots: always ? [] : slots };
}

function roleForm(c: WebContext, role?: { id: number; name: string; doors: number[]; slots: Slot[] }): Html {
  const { cells, other } = splitSlots(role?.slots ?? []);
  const always = role !== undefined && role.slots.length === 0;
  const allDoors = role !== undefined && role.doors.length === 0;
  return html`<form method="post" action="${role ? 'role-edit' : 'role-add'}" class="card">
    ${csrfField(c.viewer)}${role ? html`<input type="hidden" name="id" value="${role.id}" />` : ''}
    <h2>${role ? 'Edit role' : 'New role'}</h2>
    <label for="name">Name</label><input id="name" name="name" type="text" required maxlength="100" value="${role?.name ?? ''}" />
    <fieldset>
      <legend>Doors</legend>
      <p class="inline">
        <input type="checkbox" id="all_doors" name="all_doors" value="1" ${allDoors ? html` checked` : ''} /> <label for="all_doors">All doors</label>
      </p>
      ${c.admin.config.doors.map(
        (d) =>
          html`<p class="inline">
            <input type="checkbox" id="door_${d.id}" name="door_${d.id}" value="1" ${role?.doors.includes(d.id) ? html` checked` : ''} />
            <label for="door_${d.id}">${d.name}</label>
          </p>`,
      )}
    </fieldset>
    <fieldset>
      <legend>When (site time, ${c.admin.config.site.time_zone})</legend>
      <p class="inline">
        <input type="checkbox" id="always" name="always" value="1" ${always ? html` checked` : ''} /> <label for="always">Always (24/7)</label>
      </p>
      <div class="table">
        <table class="week">
          <thead>
            <tr>
              <th scope="col">Day</th>
              ${HOURS.map((h) => html`<th scope="col">${String(h).padStart(2, '0')}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${DAYS.map(
              (day, d) =>
                html`<tr>
                  <th scope="row">${day}</th>
                  ${HOURS.map(
                    (h) =>
                      html`<td>
                        <input
                          type="checkbox"
                          name="h_${d}_${h}"
                          value="1"
                          aria-label="${day} ${hh(h)}-${hh(h + 1)}"
                          ${cells.has(`${d}-${h}`) ? html` checked` : ''}
                        />
                      </td>`,
                  )}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <label for="other_slots">Other slots, one a line (e.g. "mon-fri 07:30-19:00", "daily 22:00-06:00")</label>
      <textarea id="other_slots" name="other_slots" rows="2">${other.join('\n')}</textarea>
    </fieldset>
    <p><button type="submit">${role ? 'Save role' : 'Create role'}</button></p>
  </form>`;
}

const doorName = (c: WebContext, id: number) => c.admin.config.doors.find((d) => d.id === id)?.name ?? `door ${id}`;

function rolesPage(c: WebContext, top: Html | string = ''): Html {
  const admin = mayDo(c.viewer.role, 'admin');
  return page(
    'Roles and schedules',
    c.viewer,
    html`${top}
      <div class="table">
        <table>
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Doors</th>
              <th scope="col">When</th>
              <th scope="col">People</th>
            </tr>
          </thead>
          <tbody>
            ${listRoles(c.admin).map(
              (r) =>
                html`<tr>
                  <td><a href="role?id=${r.id}">${r.name}</a></td>
                  <td>${r.all_channels ? 'all doors' : r.channel_ids.map((id) => doorName(c, id)).join(', ')}</td>
                  <td>${r.always ? '24/7' : r.schedule.join('; ')}</td>
                  <td>${r.people}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${admin ? roleForm(c) : html`<p>Only an admin changes roles.</p>`}`,
    'roles',
  );
}

function rolePage(c: WebContext, id: number, top: Html | string = ''): Html {
  const row = getRole(c.admin, id);
  const v = roleView(c.admin, row);
  const admin = mayDo(c.viewer.role, 'admin');
  const synced = row.upstream_id !== null && row.upstream_id !== undefined;
  return page(
    `Role ${row.name}`,
    c.viewer,
    html`${top}
      <section class="card">
        <p>
          ${v.all_channels ? 'All doors' : `Doors: ${v.channel_ids.map((d) => doorName(c, d)).join(', ')}`} ·
          ${v.always ? '24/7' : v.schedule.join('; ')} · ${v.people} people ${synced ? ' · synced from the upstream (change it there)' : ''}
        </p>
      </section>
      ${
        admin && !synced
          ? html`${roleForm(c, row)}
              <form method="post" action="role-delete" class="card">
                ${csrfField(c.viewer)}<input type="hidden" name="id" value="${row.id}" />
                <p><button type="submit" class="danger">Delete role</button> (its ${v.people} holders lose this access)</p>
              </form>`
          : ''
      }
      <p><a href="roles">All roles</a></p>`,
    'roles',
  );
}

export const ROLE_ROUTES: WebRoute[] = [
  { method: 'GET', url: '/roles', need: 'read', handler: (c) => rolesPage(c) },
  { method: 'GET', url: '/role', need: 'read', handler: (c) => rolePage(c, idOf(c.query.get('id'))) },
  {
    method: 'POST',
    url: '/role-add',
    need: 'admin',
    handler: (c) => {
      const r = addRole(c.admin, roleInput(c));
      audit(c.admin, c.viewer.name, 'role.add', `role:${r.id}`, { doors: r.all_channels ? 'all' : r.channel_ids, schedule: r.schedule });
      return rolePage(c, r.id, notice('ok', `Role ${r.name} created.`));
    },
  },
  {
    method: 'POST',
    url: '/role-edit',
    need: 'admin',
    handler: (c) => {
      const id = idOf(c.form.id);
      const r = editRole(c.admin, id, roleInput(c));
      audit(c.admin, c.viewer.name, 'role.edit', `role:${id}`, { name: r.name, doors: r.all_channels ? 'all' : r.channel_ids, schedule: r.schedule });
      return rolePage(c, id, notice('ok', `Role ${r.name} saved: the doors use it from the next decision.`));
    },
  },
  {
    method: 'POST',
    url: '/role-delete',
    need: 'admin',
    handler: (c) => {
      const r = deleteRole(c.admin, idOf(c.form.id));
      audit(c.admin, c.viewer.name, 'role.delete', `role:${r.id}`, { name: r.name });
      return rolesPage(c, notice('ok', `Role ${r.name} deleted.`));
    },
  },
];
