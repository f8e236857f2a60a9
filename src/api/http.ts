/** HTTP plumbing for the API: bounded JSON bodies, DoorFlow-shaped errors, paging headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RefusedError, refusalBody } from '../application/errors.js';

export const MAX_BODY = 64 * 1024;

/** An answer that is not a success; carries DoorFlow's error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(
      typeof body === 'object' && body && 'error_description' in body
        ? String((body as { error_description: unknown }).error_description)
        : String(status),
    );
  }
}

export const httpError = (status: number, error: string, description: string) => new HttpError(status, { error, error_description: description });

/** DoorFlow's shapes for refusals: 422 validation_failed, 404 not_found, 409 with the existing credential. */
export function fromRefusal(err: RefusedError): HttpError {
  const body = refusalBody(err);
  if (err.kind === 'not_found') return new HttpError(404, body);
  if (err.kind === 'conflict') return new HttpError(409, err.existing ?? body);
  return new HttpError(422, body);
}

export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      reject(httpError(413, 'payload_too_large', `request bodies are limited to ${MAX_BODY} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(httpError(413, 'payload_too_large', `request bodies are limited to ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      // OAuth clients send form bodies (RFC 6749); they arrive as an object of strings, like a JSON body.
      if (/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? ''))
        return resolve(Object.fromEntries(new URLSearchParams(text)));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(httpError(400, 'bad_request', 'the request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The page a query asks for: `page` from 1, and its size (`per_page`, or the list's own name for it) 50 unless given, at most `max`. */
export function pageFromQuery(q: URLSearchParams, max: number, sizeParam = 'per_page'): { page: number; per_page: number } {
  const int = (name: string, dflt: number, lo: number, hi: number) => {
    const raw = q.get(name);
    if (raw === null) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new HttpError(422, {
        error: 'validation_failed',
        error_description: `${name}: must be a whole number from ${lo} to ${hi}`,
        errors: { [name]: [`must be a whole number from ${lo} to ${hi}`] },
      });
    return n;
  };
  return { page: int('page', 1, 1, 1_000_000), per_page: int(sizeParam, 50, 1, max) };
}

/** Both header sets DoorFlow clients read: Total/Per-Page and the older X-Total-Results/X-Page/X-Per-Page. */
export function pagingHeaders(total: number, p: { page: number; per_page: number }): Record<string, string> {
  return {
    Total: String(total),
    'Per-Page': String(p.per_page),
    'X-Total-Results': String(total),
    'X-Page': String(p.page),
    'X-Per-Page': String(p.per_page),
  };
}
