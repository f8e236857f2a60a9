/**
 * DoorFlow's sites and sync. A controller is one site: its name and time zone from the config, and as its addresses
 * the ones this machine has on its network interfaces (what an installer looks for). POST /sync starts a pull from
 * the upstream now, at most once in SYNC_EVERY_MS (429 with retry_in, as DoorFlow answers), so a looping script
 * cannot hammer the upstream on the controller's behalf.
 */
import { networkInterfaces } from 'node:os';
import { HttpError } from './http.js';
import type { Route } from './routes.js';

const r = (path: string) => new RegExp(`^/api/3/${path}/?$`);
export const SYNC_EVERY_MS = 30_000;
let lastSyncAt = -Infinity;

/** This machine's addresses as CIDR ranges, loopback left out. */
function siteIps(): { ip_address: string }[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal)
    .map((a) => ({ ip_address: a.cidr ?? a.address }));
}

export const SITE_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: r('sites'),
    scope: 'account.site.readonly',
    handler: (c) => {
      const ips = siteIps();
      const site = {
        id: 1,
        name: c.admin.config.site.name,
        time_zone: c.admin.config.site.time_zone,
        notes: null,
        ip_address: ips[0]?.ip_address ?? null,
        site_ips: ips,
      };
      return { status: 200, body: [site], headers: { Total: '1', 'Per-Page': '500', 'X-Total-Results': '1', 'X-Page': '1', 'X-Per-Page': '500' } };
    },
  },
  {
    method: 'POST',
    pattern: r('sync'),
    scope: 'account.sync',
    handler: async (c) => {
      const wait = lastSyncAt + SYNC_EVERY_MS - performance.now();
      if (wait > 0) {
        const retryIn = Math.ceil(wait / 1000);
        throw new HttpError(429, {
          error: 'rate_limited',
          description: `Sync rate limit exceeded. Please wait ${retryIn} s before trying again.`,
          retry_in: retryIn,
        });
      }
      lastSyncAt = performance.now();
      return { status: 200, body: await c.channels({ op: 'sync', source: `api:${c.tokenName}` }) };
    },
  },
];
