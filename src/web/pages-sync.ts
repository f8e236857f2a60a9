/**
 * Sync status (admins only): the upstream, the last attempt and success, the last pull's counts and refusals, the
 * last error, from the state the sync worker keeps in the database (the same as `keypadd sync status` and the API's
 * account), and "Pull now": asks the daemon's sync for a pull at once (the same request as POST /api/3/sync), recorded
 * as an audit row naming the admin; the pull's outcome is its own event and shows here when it is done.
 */
import { audit } from '../application/console-reads.js';
import { siteTime } from '../application/times.js';
import { readSyncState } from '../storage/sync-state.js';
import { csrfField, notice, page } from './layout.js';
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
  const asked = c.query.get('done') === 'pull';
  return page(
    'Sync',
    c.viewer,
    html`${asked ? notice('ok', 'Pull asked for: it runs now, and this page shows its outcome once it is done.') : ''}
      <section class="card" id="sync-status">
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
      <form method="post" action="sync-now">${csrfField(c.viewer)}<button type="submit">Pull now</button></form>`,
    'sync',
  );
}

export const SYNC_ROUTES: WebRoute[] = [
  { method: 'GET', url: '/sync', need: 'admin', handler: (c) => syncPage(c) },
  {
    method: 'POST',
    url: '/sync-now',
    need: 'admin',
    handler: async (c) => {
      const answer = (await c.deps.doors({ op: 'sync', source: c.source })) as { started: boolean; reason?: string };
      audit(c.admin, c.viewer.name, 'sync.pull', null, { started: answer.started });
      return c.reply.redirect('sync?done=pull', 303);
    },
  },
];
