/** Events: filter by door, person, type and time, each with its reason in words; the same filter as CSV. */
import { countEvents, listEvents, type EventQuery } from '../application/events.js';
import { Problems } from '../application/errors.js';
import { readTime } from '../application/times.js';
import { EVENT_TYPES, isEventType } from '../core/event-types.js';
import { page } from './layout.js';
import { html } from './html.js';
import type { WebContext, WebRoute } from './deps.js';
import { eventLine, type EventLine } from './words.js';

const PER_PAGE = 50;
const CSV_MAX = 100_000;

function filterOf(c: WebContext): { query: EventQuery; type: string } {
  const problems = new Problems();
  const zone = c.admin.config.site.time_zone;
  const door = Number(c.query.get('door'));
  const person = Number(c.query.get('person'));
  const type = c.query.get('type') ?? '';
  const since = readTime('since', c.query.get('since'), zone, problems) ?? undefined;
  const until = readTime('until', c.query.get('until'), zone, problems, 'end') ?? undefined;
  problems.throwIfAny();
  return {
    query: {
      channel_ids: Number.isSafeInteger(door) && door > 0 ? [door] : undefined,
      person_id: Number.isSafeInteger(person) && person > 0 ? person : undefined,
      since,
      until,
    },
    type: isEventType(type) ? type : '',
  };
}

/** The events of the filter; a type filter runs over the rows (event codes are shared between types). */
function rows(c: WebContext, limit: number, offset: number): { lines: EventLine[]; total: number } {
  const { query, type } = filterOf(c);
  const zone = c.admin.config.site.time_zone;
  if (!type) return { lines: listEvents(c.admin, { ...query, limit, offset }).map((e) => eventLine(e, zone)), total: countEvents(c.admin, query) };
  const all = listEvents(c.admin, { ...query, limit: CSV_MAX, offset: 0 }).filter((e) => e.event_type === type);
  return { lines: all.slice(offset, offset + limit).map((e) => eventLine(e, zone)), total: all.length };
}

const csvCell = (v: string | number) => {
  const s = String(v);
  // A leading = + - @ would be a formula in a spreadsheet: quoted with a ' in front, as OWASP advises.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export const EVENT_ROUTES: WebRoute[] = [
  {
    method: 'GET',
    url: '/events',
    need: 'read',
    handler: (c) => {
      const pageNo = Math.max(1, Math.floor(Number(c.query.get('page') ?? 1)) || 1);
      const { lines, total } = rows(c, PER_PAGE, (pageNo - 1) * PER_PAGE);
      const q = (name: string) => c.query.get(name) ?? '';
      const params = new URLSearchParams([...c.query.entries()].filter(([k]) => k !== 'page'));
      const link = (n: number) => `events?${params.toString()}&page=${n}`;
      return page(
        'Events',
        c.viewer,
        html`<form method="get" action="events" class="card">
            <label for="door">Door</label
            ><select id="door" name="door">
              <option value="">All doors</option>
              ${c.admin.config.doors.map((d) => html`<option value="${d.id}" ${q('door') === String(d.id) ? html` selected` : ''}>${d.name}</option>`)}
            </select>
            <label for="type">Type</label
            ><select id="type" name="type">
              <option value="">All types</option>
              ${Object.entries(EVENT_TYPES).map(([t, info]) => html`<option value="${t}" ${q('type') === t ? html` selected` : ''}>${info.title}</option>`)}
            </select>
            <label for="person">Person id</label><input id="person" name="person" type="text" inputmode="numeric" value="${q('person')}" />
            <label for="since">Since</label><input id="since" name="since" type="datetime-local" value="${q('since')}" />
            <label for="until">Until</label><input id="until" name="until" type="datetime-local" value="${q('until')}" />
            <p><button type="submit">Filter</button> <a href="events.csv?${params.toString()}">Download CSV</a></p>
          </form>
          <p>${total} events · page ${pageNo}</p>
          <div class="table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Door</th>
                  <th scope="col">What</th>
                  <th scope="col">Who</th>
                  <th scope="col">Why</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                ${lines.map(
                  (l) =>
                    html`<tr>
                      <td>${l.at}</td>
                      <td>${l.door}</td>
                      <td>${l.title}</td>
                      <td>${l.person}</td>
                      <td>${l.reason}</td>
                      <td>${l.source}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            ${pageNo > 1 ? html`<a href="${link(pageNo - 1)}">Previous</a>` : ''}${pageNo * PER_PAGE < total ? html`<a href="${link(pageNo + 1)}">Next</a>` : ''}
          </nav>`,
        'events',
      );
    },
  },
  {
    method: 'GET',
    url: '/events.csv',
    need: 'read',
    handler: (c) => {
      const { lines } = rows(c, CSV_MAX, 0);
      const head = ['id', 'time', 'door', 'type', 'what', 'person', 'reason', 'source'];
      const body = lines.map((l) => [l.id, l.at, l.door, l.type, l.title, l.person, l.reason, l.source].map(csvCell).join(','));
      return c.reply
        .header('Cache-Control', 'no-store')
        .header('Content-Disposition', 'attachment; filename="keypadd-events.csv"')
        .type('text/csv; charset=utf-8')
        .send([head.join(','), ...body].join('\r\n') + '\r\n');
    },
  },
];
