/**
 * DoorFlow's groups and group reservations. A group here names doors and weekly slots like a role (README, API);
 * GET /groups lists them ordered by name, unpaged as in DoorFlow. Group reservations page and filter by since_utc.
 */
import { addGroupReservation, countGroupReservations, deleteGroupReservation, listGroupReservations, listGroups } from '../application/groups.js';
import { Problems } from '../application/errors.js';
import { readTime } from '../application/times.js';
import { z } from 'zod';
import { parseBody } from './bodies.js';
import { pageFromQuery, pagingHeaders } from './http.js';
import type { Route } from './routes.js';

const ID = '(\\d{1,15})';
const r = (path: string) => new RegExp(`^/api/3/${path}/?$`);

const groupReservationBody = z.object({
  person_id: z.int().min(1),
  start_time: z.string().max(64),
  end_time: z.string().max(64),
  group_ids: z.array(z.int().min(1)).min(1).max(200),
});

export const GROUP_ROUTES: Route[] = [
  { method: 'GET', pattern: r('groups'), scope: 'account.group.readonly', handler: (c) => ({ status: 200, body: listGroups(c.admin) }) },
  {
    method: 'GET',
    pattern: r('group_reservations'),
    scope: 'account.group_reservation.readonly',
    handler: (c) => {
      const p = new Problems();
      const zone = c.admin.config.site.time_zone;
      // since_utc, or since in the site's local time (DoorFlow offers both).
      const since = readTime('since_utc', c.query.get('since_utc'), 'UTC', p) ?? readTime('since', c.query.get('since'), zone, p);
      p.throwIfAny();
      const page = pageFromQuery(c.query, 500);
      const all = c.query.get('skip_pagination') === 'true';
      const filter = { since_utc: since ?? undefined };
      const list = listGroupReservations(c.admin, { ...filter, ...(all ? { per_page: 1_000_000 } : page) });
      return { status: 200, body: list, headers: pagingHeaders(countGroupReservations(c.admin, filter), page) };
    },
  },
  {
    method: 'POST',
    pattern: r('group_reservations'),
    scope: 'account.group_reservation',
    handler: async (c) => {
      const made = addGroupReservation(c.admin, parseBody(groupReservationBody, await c.body(), 'group_reservation'));
      c.log('info', `group reservation ${made.id} for person ${made.person_id} made by token "${c.tokenName}"`);
      return { status: 201, body: made };
    },
  },
  {
    method: 'DELETE',
    pattern: r(`group_reservations/${ID}`),
    scope: 'account.group_reservation',
    handler: (c) => {
      deleteGroupReservation(c.admin, c.params[0]!);
      return { status: 200, body: { result: 'ok' } };
    },
  },
];
