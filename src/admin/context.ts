/** What the management operations work with: the open store, the configuration and the clock. */
import type { Config } from '../config/schema.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Store } from '../storage/store.js';

export interface AdminContext {
  store: Store;
  config: Config;
  /** Wall clock in ms; injected so tests can place "now". */
  now: () => number;
}

export function nowIso(ctx: AdminContext): string {
  return toIsoSeconds(ctx.now());
}

/** DoorFlow paging: `page` from 1, `per_page` (default 500), as LIMIT/OFFSET. */
export function paging(filter: { page?: number | undefined; per_page?: number | undefined }): { limit: number; offset: number } {
  const limit = filter.per_page ?? 500;
  return { limit, offset: ((filter.page ?? 1) - 1) * limit };
}
