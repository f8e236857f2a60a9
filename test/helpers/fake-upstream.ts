/**
 * A test upstream: a real HTTP server on a loopback port serving DoorFlow-shaped lists (page/per_page, Total and
 * Per-Page headers, since_utc on people; groups and group reservations when set) from arrays the test edits, with faults it can inject per request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpPerson {
  id: number;
  first_name: string;
  last_name: string;
  email?: string | null;
  enabled: boolean;
  valid_from?: string | null;
  valid_to?: string | null;
  roles: number[];
  groups: number[];
  updated_at: string;
  [extra: string]: unknown;
}
export interface UpCredential {
  id: string;
  person_id: number;
  credential_type_id: number;
  value: string | null;
  [extra: string]: unknown;
}
export interface UpReservation {
  id: number;
  person_id: number;
  start_time: string;
  end_time: string;
  channel_ids: number[];
}
export interface UpRole {
  id: number;
  name: string;
  shift_id: number | null;
}

/** What to do with one request instead of answering it; return true when handled. */
export type Fault = (req: { path: string; page: number; url: URL }, res: ServerResponse) => boolean;

export class FakeUpstream {
  people: UpPerson[] = [];
  credentials: UpCredential[] = [];
  reservations: UpReservation[] = [];
  roles: UpRole[] = [];
  /** GET /api/3/groups and /api/3/group_reservations; null answers 404, as an upstream without them does. */
  groups: unknown[] | null = null;
  groupReservations: unknown[] | null = null;
  token = 'upstream-test-token';
  faults: Fault[] = [];
  /** Every request: path with query, for assertions on paging and since_utc. */
  requests: string[] = [];
  /** Whether list answers carry the Total header. */
  sendTotal = true;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A fault for the n-th matching request(s) only: `times` requests from the first match. */
  once(match: (path: string, page: number) => boolean, act: (res: ServerResponse) => void, times = 1): void {
    let left = times;
    this.faults.push((r, res) => {
      if (left <= 0 || !match(r.path, r.page)) return false;
      left--;
      act(res);
      return true;
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(url.pathname + url.search);
    const page = Number(url.searchParams.get('page') ?? '1');
    for (const f of this.faults) if (f({ path: url.pathname, page, url }, res)) return;
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(res, 401, { error: 'unauthorized', error_description: 'bad token' });
    const perPage = Number(url.searchParams.get('per_page') ?? '500');
    const list = (all: unknown[]) => {
      const slice = all.slice((page - 1) * perPage, page * perPage);
      json(res, 200, slice, this.sendTotal ? { Total: String(all.length), 'Per-Page': String(perPage) } : {});
    };
    switch (url.pathname) {
      case '/api/3/account':
        return json(res, 200, { id: 'acct', name: 'Upstream', time_zone: 'Europe/London' });
      case '/api/3/roles':
        return json(res, 200, this.roles);
      case '/api/3/people': {
        const since = url.searchParams.get('since_utc');
        return list(since ? this.people.filter((p) => p.updated_at >= since) : this.people);
      }
      case '/api/3/credentials':
        return list(this.credentials);
      case '/api/3/reservations':
        return list(this.reservations);
      case '/api/3/groups':
        return this.groups ? json(res, 200, this.groups) : json(res, 404, { error: 'not_found' });
      case '/api/3/group_reservations':
        return this.groupReservations ? list(this.groupReservations) : json(res, 404, { error: 'not_found' });
      default:
        return json(res, 404, { error: 'not_found' });
    }
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** `n` people (ids from `from`), each with a PIN of `pinLength` digits and a card; all in role 1. */
export function population(
  n: number,
  opts: { from?: number; updatedAt?: string } = {},
): { people: UpPerson[]; credentials: UpCredential[]; pins: Map<number, string> } {
  const from = opts.from ?? 1;
  const people: UpPerson[] = [];
  const credentials: UpCredential[] = [];
  const pins = new Map<number, string>();
  for (let i = from; i < from + n; i++) {
    people.push({
      id: i,
      first_name: `First${i}`,
      last_name: `Last${i}`,
      email: `p${i}@example.com`,
      enabled: true,
      roles: [1],
      groups: [],
      updated_at: opts.updatedAt ?? '2026-01-01T00:00:00Z',
    });
    // 6 digits, distinct, not weak: a prefix 3..9 and the id spread out.
    const pin = String(300000 + ((i * 7919) % 600000)).padStart(6, '0');
    pins.set(i, pin);
    credentials.push({ id: `up_pin_${i}`, person_id: i, credential_type_id: 6, value: pin });
    credentials.push({ id: `up_card_${i}`, person_id: i, credential_type_id: 5, value: String(1_000_000 + i) });
  }
  return { people, credentials, pins };
}
