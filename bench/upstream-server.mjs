// A DoorFlow-shaped upstream for the sync benchmark, in its own process (as a real upstream is on another machine).
// node bench/upstream-server.mjs PORT PEOPLE RESERVATIONS VERSION [FAIL_PEOPLE_PAGE]
// Records are generated per page, so the server holds no big arrays. VERSION changes every name, so a second pull
// has something to apply. With FAIL_PEOPLE_PAGE, that page of /people answers 500 every time.
import { createServer } from 'node:http';
import { upstreamPin } from './upstream-data.mjs';

const [port, people, reservations, version, failPage] = process.argv.slice(2).map(Number);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const now = Date.now();

const person = (i) => ({
  id: i,
  first_name: `First${i}v${version}`,
  last_name: `Last${i}`,
  email: `p${i}@example.com`,
  enabled: true,
  valid_from: null,
  valid_to: null,
  roles: [1],
  groups: [],
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
});
const credential = (i) => ({ id: `up_${i}`, person_id: i, credential_type_id: 6, label: 'PIN', value: upstreamPin(i) });
const reservation = (i) => ({
  id: i,
  person_id: i,
  start_time: iso(now - 3_600_000),
  end_time: iso(now + 86_400_000),
  channel_ids: [1],
  created_at: iso(now),
  updated_at: iso(now),
});

createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const page = Number(url.searchParams.get('page') ?? 1);
  const perPage = Number(url.searchParams.get('per_page') ?? 500);
  const list = (total, make) => {
    const items = [];
    for (let i = (page - 1) * perPage + 1; i <= Math.min(total, page * perPage); i++) items.push(make(i));
    const body = JSON.stringify(items);
    res.writeHead(200, { 'content-type': 'application/json', Total: String(total), 'Per-Page': String(perPage) });
    res.end(body);
  };
  if (url.pathname === '/api/3/people' && page === failPage) return res.writeHead(500).end('{"error":"injected"}');
  if (url.pathname === '/api/3/roles')
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ id: 1, name: 'Staff', shift_id: null }]));
  if (url.pathname === '/api/3/people') return list(people, person);
  if (url.pathname === '/api/3/credentials') return list(people, credential);
  if (url.pathname === '/api/3/reservations') return list(reservations, reservation);
  if (url.pathname === '/api/3/account') return res.writeHead(200).end('{"name":"bench"}');
  res.writeHead(404).end('{}');
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
