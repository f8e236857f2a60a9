/** A client for the API of a `keypadd run --sim` child, over real HTTP, from any loopback address. */
import { request } from 'node:http';
import { freePort } from './broker.js';
import { eventually, simDoor, type SimDaemon } from './daemon.js';

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // Answers are checked field by field in the tests; the loose type keeps those checks short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** Wall time from sending to the last byte, in ms. */
  ms: number;
}

export interface ApiCall {
  method: string;
  path: string;
  body?: unknown;
  token?: string;
  /** The client's own address: any of 127.0.0.0/8 can be bound on Linux, so one test can be 10,000 clients. */
  from?: string;
}

export class ApiClient {
  constructor(
    readonly port: number,
    public token = '',
  ) {}

  call(c: ApiCall): Promise<ApiAnswer> {
    const text = c.body === undefined ? undefined : JSON.stringify(c.body);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: c.method,
          path: c.path,
          localAddress: c.from,
          agent: false,
          headers: {
            Authorization: `Bearer ${c.token ?? this.token}`,
            'Content-Type': 'application/json',
            ...(text === undefined ? {} : { 'Content-Length': Buffer.byteLength(text) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (b: Buffer) => chunks.push(b));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw ? JSON.parse(raw) : null, ms: performance.now() - started });
          });
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  get(path: string, token?: string) {
    return this.call({ method: 'GET', path, token });
  }

  post(path: string, body?: unknown, token?: string) {
    return this.call({ method: 'POST', path, body, token });
  }

  put(path: string, body?: unknown, token?: string) {
    return this.call({ method: 'PUT', path, body, token });
  }
}

export const ALL_SCOPES = [
  'account.person',
  'account.reservation',
  'account.event.access.readonly',
  'account.channel.readonly',
  'account.channel.admit',
  'account.channel.admit.person',
];

/** A sim daemon with the API on a free port (plus `yaml`), started, with a token of every scope as the client's default. */
export async function apiDaemon(yaml: string, cleanups: (() => void)[], env: Record<string, string> = {}): Promise<{ d: SimDaemon; api: ApiClient }> {
  const port = await freePort();
  const d = simDoor(`api: { enabled: true, listen: 127.0.0.1:${port} }\n${yaml}`, cleanups);
  d.cli.extraEnv = env;
  await d.start();
  await eventually(
    () => d.stderr,
    (s) => s.includes('API listening'),
    // The API worker starts in about 0.6 s here; on a machine busy with other test files it has taken over 5 s.
    20_000,
  );
  const api = new ApiClient(port, token(d, 'admin-script', ...ALL_SCOPES));
  return { d, api };
}

/** A new API token made with the CLI. */
export function token(d: SimDaemon, name: string, ...scopes: string[]): string {
  return d.cli.json<{ token: string }>('token', 'add', '--name', name, ...scopes.flatMap((s) => ['--scope', s])).token;
}

/** A person made over the API; returns the id. */
export async function person(api: ApiClient, last: string): Promise<number> {
  const r = await api.post('/api/3/people', { first_name: 'Test', last_name: last });
  if (r.status !== 201) throw new Error(`person ${last}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as number;
}
