/**
 * One webhook POST: the event's JSON, signed, with its idempotency key, and what the answer means for the outbox.
 * 2xx delivered; 408, 429, 5xx, a timeout or a reset retry (in order: nothing after it goes first); any other 4xx
 * parks the event (the endpoint refused it for good, and repeating it would stall the rule forever). A redirect is
 * followed only on the same origin (scheme, host and port): the signed body never goes to a host nobody configured.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { loggableUrl } from '../core/webhook-url.js';

export type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; error: string; retryAfterMs: number | null }
  | { kind: 'park'; status: number; error: string };

export interface Delivery {
  url: string;
  body: string;
  contentType: string;
  secret: string;
  idempotencyKey: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

const MAX_REDIRECTS = 3;
const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 1 }), https: new https.Agent({ keepAlive: true, maxSockets: 1 }) };

/** `sha256=<hex>` of the raw body under the rule's secret: what X-Keypadd-Signature carries. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export async function deliver(d: Delivery): Promise<Outcome> {
  let url = new URL(d.url);
  for (let hop = 0; ; hop++) {
    const answer = await post(url, d);
    if ('error' in answer) return { kind: 'retry', error: answer.error, retryAfterMs: null };
    const { status, location, retryAfter } = answer;
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status >= 300 && status < 400) {
      if (!location) return { kind: 'retry', error: `HTTP ${status} without a Location`, retryAfterMs: null };
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return { kind: 'retry', error: `HTTP ${status} to an unreadable Location`, retryAfterMs: null };
      }
      if (next.origin !== url.origin)
        return {
          kind: 'retry',
          error: `HTTP ${status} redirect to another host (${loggableUrl(next.href)}) refused: change the rule's URL`,
          retryAfterMs: null,
        };
      if (hop >= MAX_REDIRECTS) return { kind: 'retry', error: `more than ${MAX_REDIRECTS} redirects`, retryAfterMs: null };
      url = next;
      continue;
    }
    if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', error: `HTTP ${status}`, retryAfterMs: retryAfter };
    return { kind: 'park', status, error: `HTTP ${status}` };
  }
}

type Answer = { status: number; location: string | undefined; retryAfter: number | null } | { error: string };

function post(url: URL, d: Delivery): Promise<Answer> {
  const body = Buffer.from(d.body, 'utf8');
  const secure = url.protocol === 'https:';
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: {
          ...d.headers,
          'content-type': d.contentType,
          'content-length': String(body.length),
          'idempotency-key': d.idempotencyKey,
          'x-keypadd-signature': signature(d.secret, d.body),
        },
      },
      (res) => {
        // The answer's body is not needed; read (a little of) it so the connection can be reused.
        res.on('data', () => undefined);
        res.on('error', (err) => done({ error: err.message }));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, location: res.headers.location, retryAfter: retryAfterMs(res.headers['retry-after']) }),
        );
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${d.timeoutMs / 1000} s`));
    }, d.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ? `${err.code}: ${err.message}` : err.message }));
    req.end(body);
  });
}

/** Retry-After in seconds (a date form is rare from webhook receivers, and is treated as absent). */
function retryAfterMs(raw: string | undefined): number | null {
  if (raw === undefined || !/^\d{1,6}$/.test(raw.trim())) return null;
  return Number(raw.trim()) * 1000;
}
