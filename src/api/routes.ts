/**
 * The API's routes under /api/3, each with the scope it needs. Handlers call the same admin operations as the CLI,
 * so the rules (and the refusals) are the same; door status and remote unlock go to the daemon's main thread.
 */
import {
  countCredentials,
  CREDENTIAL_TYPES,
  deleteCredential,
  getCredentialRow,
  credentialView,
  listCredentials,
  updateCredential,
} from '../application/credentials.js';
import type { AdminContext } from '../application/context.js';
import { countEvents, getEvent, listEvents } from '../application/events.js';
import { invalid } from '../application/errors.js';
import { addPerson, countPeople, deletePerson, getPerson, listPeople, updatePerson } from '../application/people.js';
import { addReservation, deleteReservation, listReservations } from '../application/reservations.js';
import { listRoles } from '../application/roles.js';
import { Problems } from '../application/errors.js';
import { readTime } from '../application/times.js';
import { readSyncState } from '../storage/sync-state.js';
import type { NewEvent } from '../storage/event-repo.js';
import { credentialUpdateBody, parseBody, personBody, reservationBody } from './bodies.js';
import { createCredentialRoute } from './credential-create.js';
import { httpError, pageFromQuery, pagingHeaders } from './http.js';
import type { PinProbeGuard } from './pin-probe-guard.js';
import type { ChannelRequest } from './protocol.js';
import type { Scope } from './scopes.js';
import { CHANNEL_ROUTES } from './channel-routes.js';
import { VISITOR_API_ROUTES } from './visitor-routes.js';

/** A request for the daemon's main thread, where the doors and the sync are (protocol.ts ChannelRequest). */
export interface ChannelCall {
  (req: ChannelRequest): Promise<unknown>;
}

export interface RequestContext {
  admin: AdminContext;
  tokenId: number;
  tokenName: string;
  /** The token's scopes (empty on a route with auth: 'none'), for a route that accepts more than one. */
  scopes: readonly string[];
  query: URLSearchParams;
  params: number[];
  rawParams: string[];
  body: () => Promise<unknown>;
  channels: ChannelCall;
  /** Custom PINs refused as in use, per token (the worker's one guard). */
  pinProbes: PinProbeGuard;
  /** Hands an event to the daemon's writer; returns at once (the writer keeps it until it is stored). */
  record: (event: NewEvent) => void;
  /** The Authorization header as sent (OAuth's token endpoint reads HTTP Basic client credentials from it). */
  authorization: string;
  log: (level: 'error' | 'warn' | 'info', message: string) => void;
}

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: RegExp;
  scope: Scope | null;
  /** 'none': answered without a token (OAuth's token and revoke endpoints); tokenId is then 0. Default: a token. */
  auth?: 'none';
  handler: (c: RequestContext) => Answer | Promise<Answer>;
}

const ok = (body: unknown, headers?: Record<string, string>): Answer => ({ status: 200, body, ...(headers ? { headers } : {}) });
const created = (body: unknown): Answer => ({ status: 201, body });
const ID = '(\\d{1,15})';
const CRED = '(cred_[A-Za-z0-9]{1,40})';
const r = (path: string) => new RegExp(`^/api/3/${path}/?$`);

function intList(q: URLSearchParams, name: string): number[] | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const parts = raw.split(',');
  if (!parts.every((p) => /^\d{1,15}$/.test(p.trim()))) throw invalid(name, 'must be a comma-separated list of numbers');
  return parts.map((p) => Number(p));
}

function time(c: RequestContext, name: string): string | undefined {
  const p = new Problems();
  const t = readTime(name, c.query.get(name), c.admin.config.site.time_zone, p);
  p.throwIfAny();
  return t ?? undefined;
}

export const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: r('account'),
    scope: null,
    handler: (c) => {
      // DoorFlow's account.sync: here, this controller's own pull from its upstream ("complete" when none is set).
      const s = readSyncState(c.admin.store.db);
      const off = c.admin.config.sync.url === null;
      return ok({
        name: c.admin.config.site.name,
        time_zone: c.admin.config.site.time_zone,
        sync: off
          ? { status: 'complete', last_sync: null, upstream: null }
          : { status: s.status, last_sync: s.last_success_at, upstream: c.admin.config.sync.url, last_error: s.last_error, counts: s.last_counts },
      });
    },
  },

  {
    method: 'GET',
    pattern: r('people'),
    scope: 'account.person.readonly',
    handler: (c) => {
      const p = pageFromQuery(c.query, 500);
      const filter = { email: c.query.get('email') ?? undefined, since_utc: time(c, 'since_utc') };
      return ok(listPeople(c.admin, { ...filter, ...p }), pagingHeaders(countPeople(c.admin, filter), p));
    },
  },
  {
    method: 'POST',
    pattern: r('people'),
    scope: 'account.person',
    handler: async (c) => {
      const b = parseBody(personBody, await c.body(), 'person');
      return created(addPerson(c.admin, b));
    },
  },
  { method: 'GET', pattern: r(`people/${ID}`), scope: 'account.person.readonly', handler: (c) => ok(getPerson(c.admin, c.params[0]!)) },
  {
    method: 'PUT',
    pattern: r(`people/${ID}`),
    scope: 'account.person',
    handler: async (c) => {
      const b = parseBody(personBody, await c.body(), 'person');
      return ok(updatePerson(c.admin, c.params[0]!, b));
    },
  },
  { method: 'DELETE', pattern: r(`people/${ID}`), scope: 'account.person', handler: (c) => ok(deletePerson(c.admin, c.params[0]!)) },

  {
    method: 'GET',
    pattern: r(`people/${ID}/credentials`),
    scope: 'account.person.readonly',
    handler: (c) => {
      const p = pageFromQuery(c.query, 500);
      const person = c.params[0]!;
      return ok(listCredentials(c.admin, { person_id: person, ...p }), pagingHeaders(countCredentials(c.admin, person), p));
    },
  },
  {
    method: 'POST',
    pattern: r(`people/${ID}/credentials`),
    scope: 'account.person',
    handler: createCredentialRoute,
  },
  {
    method: 'GET',
    pattern: r(`people/${ID}/credentials/${CRED}`),
    scope: 'account.person.readonly',
    handler: (c) => ok(credentialView(getCredentialRow(c.admin, c.rawParams[1]!, c.params[0]!))),
  },
  {
    method: 'PUT',
    pattern: r(`people/${ID}/credentials/${CRED}`),
    scope: 'account.person',
    handler: async (c) => {
      const b = parseBody(credentialUpdateBody, await c.body(), 'person_credential');
      return ok(updateCredential(c.admin, c.rawParams[1]!, b, c.params[0]!));
    },
  },
  {
    method: 'DELETE',
    pattern: r(`people/${ID}/credentials/${CRED}`),
    scope: 'account.person',
    handler: (c) => ok(deleteCredential(c.admin, c.rawParams[1]!, c.params[0]!)),
  },
  {
    method: 'GET',
    pattern: r('credentials'),
    scope: 'account.person.readonly',
    handler: (c) => {
      const p = pageFromQuery(c.query, 500);
      return ok(listCredentials(c.admin, p), pagingHeaders(countCredentials(c.admin), p));
    },
  },
  { method: 'GET', pattern: r('credential_types'), scope: 'account.person.readonly', handler: () => ok(CREDENTIAL_TYPES) },

  {
    method: 'GET',
    pattern: r('reservations'),
    scope: 'account.reservation.readonly',
    handler: (c) =>
      ok(
        listReservations(c.admin, {
          person_id: c.query.has('person_id') ? Number(c.query.get('person_id')) : undefined,
          ...pageFromQuery(c.query, 500),
        }),
      ),
  },
  {
    method: 'POST',
    pattern: r('reservations'),
    scope: 'account.reservation',
    handler: async (c) => created(addReservation(c.admin, parseBody(reservationBody, await c.body(), 'reservation'))),
  },
  { method: 'DELETE', pattern: r(`reservations/${ID}`), scope: 'account.reservation', handler: (c) => ok(deleteReservation(c.admin, c.params[0]!)) },

  { method: 'GET', pattern: r('roles'), scope: 'account.person.readonly', handler: (c) => ok(listRoles(c.admin)) },

  {
    method: 'GET',
    pattern: r('events'),
    scope: 'account.event.access.readonly',
    handler: (c) => {
      const p = pageFromQuery(c.query, 1000, 'n');
      const q = {
        person_id: intList(c.query, 'person_id')?.[0],
        // door_controllers is DoorFlow's alias of channels.
        channel_ids: intList(c.query, 'channels') ?? intList(c.query, 'door_controllers'),
        event_codes: intList(c.query, 'event_codes'),
        since: time(c, 'since'),
        until: time(c, 'until'),
      };
      const sort = (c.query.get('sort') ?? 'DESC').toUpperCase();
      if (sort !== 'ASC' && sort !== 'DESC') throw invalid('sort', 'must be ASC or DESC');
      const events = listEvents(c.admin, { ...q, ascending: sort === 'ASC', limit: p.per_page, offset: (p.page - 1) * p.per_page });
      return ok({ events }, pagingHeaders(countEvents(c.admin, q), p));
    },
  },
  { method: 'GET', pattern: r(`events/${ID}`), scope: 'account.event.access.readonly', handler: (c) => ok(getEvent(c.admin, c.params[0]!)) },

  ...CHANNEL_ROUTES,
  ...VISITOR_API_ROUTES,
];

export function notFoundRoute(path: string) {
  return httpError(404, 'not_found', `no such resource: ${path}`);
}
