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
