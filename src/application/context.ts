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

/** A page of a list as DoorFlow asks for one: `page` from 1, `per_page` rows. */
export interface PageRequest {
  page?: number | undefined;
  per_page?: number | undefined;
}

/** Rows in a page nobody sized (the CLI's lists): DoorFlow's default. The API sizes every page it asks for. */
export const DEFAULT_PAGE_SIZE = 500;

/** A page as the rows to skip and take. */
export function limitOffset(request: PageRequest): { limit: number; offset: number } {
  const limit = request.per_page ?? DEFAULT_PAGE_SIZE;
  return { limit, offset: ((request.page ?? 1) - 1) * limit };
}
