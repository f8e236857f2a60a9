/**
 * Sync status (admins only): the upstream, the last attempt and success, the last pull's counts and refusals, the
 * last error, from the state the sync worker keeps in the database (the same as `keypadd sync status` and the API's
 * account). "Pull now" is not here yet: the API worker's door channel runs only door commands, and sync_now has no
 * door; it needs a change in src/api (left to the lead), so the page points at `keypadd sync run` instead.
 */
import { siteTime } from '../application/times.js';
import { readSyncState } from '../storage/sync-state.js';
import { page } from './layout.js';
import { html } from './html.js';
import type { WebContext, WebRoute } from './deps.js';

function syncPage(c: WebContext) {
  const url = c.admin.config.sync.url;
  const zone = c.admin.config.site.time_zone;
  const when = (iso: string | null) => (iso ? siteTime(iso, zone) : 'never');
  if (url === null) {
    return page(
      'Sync',
      c.viewer,
      html`<p class="card" id="sync-status">
        Sync is not configured: this controller keeps its own people (set sync.url to pull them from an upstream).
      </p>`,
      'sync',
    );
  }
  const s = readSyncState(c.admin.store.db);
  const counts = s.last_counts;
  return page(
    'Sync',
    c.viewer,
    html`<section class="card" id="sync-status">
        <p>Upstream: ${url}</p>
        <p>Status: <strong>${s.status}</strong>${s.consecutive_failures ? ` (${s.consecutive_failures} failed in a row)` : ''}</p>
        <p>Last attempt: ${when(s.last_attempt_at)} · last success: ${when(s.last_success_at)} · last full pull: ${when(s.last_full_at)}</p>
        ${s.stale_since ? html`<p class="notice error" role="alert">The cache is stale since ${when(s.stale_since)} (older than sync.max_age_h).</p>` : ''}
        ${s.last_error ? html`<p class="notice error" role="alert">Last error${s.last_error_kind ? ` (${s.last_error_kind})` : ''}: ${s.last_error}</p>` : ''}
      </section>
      ${
        counts
          ? html`<div class="table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Last pull (${s.last_mode ?? '?'})</th>
                      <th scope="col">Added</th>
                      <th scope="col">Changed</th>
                      <th scope="col">Removed</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${(['people', 'credentials', 'reservations', 'roles'] as const).map(
                      (k) =>
                        html`<tr>
                          <td>${k}</td>
                          <td>${counts[k].added}</td>
                          <td>${counts[k].changed}</td>
                          <td>${counts[k].removed}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
              <p>
                Refused: ${counts.skipped}${Object.entries(counts.skipped_reasons).map(([r, n]) => ` · ${r} (${n})`)} · not for this controller:
                ${counts.ignored} · clashes: ${counts.clashes}
              </p>`
          : ''
      }
      <p>To pull now, run <code>sudo keypadd sync run</code> on the controller.</p>`,
    'sync',
  );
}

export const SYNC_ROUTES: WebRoute[] = [{ method: 'GET', url: '/sync', need: 'admin', handler: (c) => syncPage(c) }];
