/** HTTP plumbing for the API: DoorFlow-shaped errors (from the shared stack in src/http), paging. */
import { HttpError } from '../http/errors.js';

export { fromRefusal, HttpError, httpError } from '../http/errors.js';
export { MAX_BODY } from '../http/server.js';

/** The request body as JSON: undefined when empty, 400 when it is not JSON. Read only after the token was checked. */
export function parseJsonBody(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, { error: 'bad_request', error_description: 'the request body is not valid JSON' });
  }
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
