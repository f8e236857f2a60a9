/**
 * The HTTP side of sync: GETs against a DoorFlow-compatible API with a bearer token, a time limit per request, and
 * retries with backoff and jitter for what is worth retrying (timeouts, resets, 5xx, 429, bodies that are cut off
 * or not JSON). A token the upstream rejects (401/403) is not retried: it will not get better by asking again.
 * Errors name the path and the reason, never the token.
 */
import { backoffMs } from '../core/backoff.js';

/** Why a request failed, for status and for the round's decision (retry later, alarm). */
export type UpstreamErrorKind = 'timeout' | 'network' | 'server' | 'rate_limited' | 'token_rejected' | 'no_token' | 'refused' | 'bad_body';

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    /** For rate_limited: how long the upstream asked us to wait, in ms. */
    readonly retryAfterMs: number | null = null,
    /** The HTTP status of a refusal (refused: 404 says the upstream has no such list), when there was one. */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface UpstreamOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  /** First backoff delay; doubles each attempt (with jitter from 0.5x to 1.5x). */
  retryBaseMs?: number;
  /** Attempts per request, the first included. */
  attempts?: number;
  /** Longest wait a 429 may ask for within a pull; a longer one fails the pull and the next round waits instead. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export interface Page {
  items: unknown[];
  /** The Total header, when the upstream sends one. */
  total: number | null;
}

const RETRYABLE: ReadonlySet<UpstreamErrorKind> = new Set(['timeout', 'network', 'server', 'rate_limited', 'bad_body']);

export class Upstream {
  /** Requests made, retries included (for status and tests). */
  requests = 0;
  retries = 0;

  constructor(private readonly options: UpstreamOptions) {}

  /** GET a JSON array (one page of a list, or an unpaged list). */
  async list(path: string, query: Record<string, string | number> = {}): Promise<Page> {
    const { body, headers } = await this.get(path, query);
    if (!Array.isArray(body)) throw new UpstreamError('bad_body', `${path}: expected a JSON array, got ${typeName(body)}`);
    const raw = headers.get('total');
    const total = raw !== null && /^\d+$/.test(raw.trim()) ? Number(raw) : null;
    return { items: body, total };
  }

  /** GET with retries; the parsed JSON body and the response headers. */
  async get(path: string, query: Record<string, string | number> = {}): Promise<{ body: unknown; headers: Headers }> {
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(path, query);
      } catch (err) {
        if (!(err instanceof UpstreamError) || !RETRYABLE.has(err.kind) || attempt >= attempts) throw err;
        if (err.kind === 'rate_limited' && (err.retryAfterMs ?? 0) > (this.options.maxRetryAfterMs ?? 120_000)) throw err;
        this.retries++;
        const wait = backoffMs(attempt, { firstMs: this.options.retryBaseMs ?? 1000, maxMs: Infinity, jitter: 0.5 });
        await sleep(Math.max(wait, err.retryAfterMs ?? 0), this.options.signal);
      }
    }
  }

  private async once(path: string, query: Record<string, string | number>): Promise<{ body: unknown; headers: Headers }> {
    const url = new URL(this.options.baseUrl.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    this.requests++;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    const where = `GET ${url.pathname}${url.search}`;
    let res: Response;
    let text: string;
    try {
      res = await (this.options.fetch ?? fetch)(url, {
        headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/json' },
        signal,
      });
      text = await res.text();
    } catch (err) {
      if (this.options.signal?.aborted) throw new UpstreamError('refused', 'sync stopped');
      if (timeout.aborted) throw new UpstreamError('timeout', `${where}: no complete answer within ${this.options.timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      // undici says "terminated" when the connection closes before the body it announced has arrived.
      if ((err as Error).message === 'terminated') throw new UpstreamError('bad_body', `${where}: body cut off (${why})`);
      throw new UpstreamError('network', `${where}: ${why}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new UpstreamError('token_rejected', `${where}: the upstream rejected the token (HTTP ${res.status})`);
    }
    if (res.status === 429) {
      const wait = retryAfter(res.headers, text);
      throw new UpstreamError(
        'rate_limited',
        `${where}: rate limited (HTTP 429${wait === null ? '' : `, retry in ${Math.ceil(wait / 1000)} s`})`,
        wait,
      );
    }
    if (res.status >= 500) throw new UpstreamError('server', `${where}: HTTP ${res.status}${errorText(text)}`);
    if (res.status !== 200) throw new UpstreamError('refused', `${where}: HTTP ${res.status}${errorText(text)}`, null, res.status);
    try {
      return { body: JSON.parse(text) as unknown, headers: res.headers };
    } catch {
      const declared = res.headers.get('content-length');
      const cut = declared !== null && Number(declared) !== Buffer.byteLength(text);
      throw new UpstreamError(
        'bad_body',
        `${where}: ${cut ? 'body cut off' : 'body is not JSON'} (${Buffer.byteLength(text)} bytes${cut ? ` of ${declared}` : ''})`,
      );
    }
  }
}

/** DoorFlow says `retry_in` (seconds) in the body; others say `retry_after`, or the Retry-After header. */
export function retryAfter(headers: Headers, text: string): number | null {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['retry_in', 'retry_after']) {
      const v = body[key];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
    }
  } catch {
    // Not JSON: the header may still say.
  }
  const h = headers.get('retry-after');
  if (h === null) return null;
  if (/^\d+$/.test(h.trim())) return Number(h) * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function errorText(text: string): string {
  try {
    const b = JSON.parse(text) as { error?: unknown; error_description?: unknown; description?: unknown };
    const d = b.error_description ?? b.description ?? b.error;
    if (typeof d === 'string') return `: ${d.slice(0, 200)}`;
  } catch {
    // Not JSON: say nothing more than the status.
  }
  return '';
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new UpstreamError('refused', 'sync stopped'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new UpstreamError('refused', 'sync stopped'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
