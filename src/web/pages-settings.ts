/**
 * Settings and doctor (admins only). Settings: the running configuration, read-only, each setting with its value and
 * where it came from (the file, a KEYPADD_* variable, --data-dir, or the built-in default); it changes by editing the
 * file and restarting, as `keypadd config check --origins` says too. Doctor: the installer's checks (`keypadd doctor`,
 * run as a child process when the page is asked for), each with its fix.
 */
import { describeOrigins } from '../config/origins.js';
import { notice, page } from './layout.js';
import { html } from './html.js';
import type { WebContext, WebRoute } from './deps.js';

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function settingsPage(c: WebContext) {
  const rows = describeOrigins(c.admin.config, c.deps.provenance.origins);
  return page(
    'Settings',
    c.viewer,
    html`<p class="card">
        Read from <strong>${c.deps.provenance.source}</strong> at start. To change a setting, edit that file (or the variable named) and restart
        keypadd (<code>systemctl restart keypadd</code>); <code>keypadd config describe</code> explains each one.
      </p>
      <div class="table">
        <table id="settings">
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Value</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (r) =>
                html`<tr>
                  <td><code>${r.setting}</code></td>
                  <td>${shown(r.value)}</td>
                  <td>${r.origin}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`,
    'settings',
  );
}

async function doctorPage(c: WebContext) {
  let checks;
  try {
    checks = await c.deps.doctor();
  } catch (err) {
    return page('Doctor', c.viewer, notice('error', `The checks could not run: ${(err as Error).message}`), 'doctor');
  }
  const failed = checks.filter((x) => x.verdict === 'fail').length;
  const warned = checks.filter((x) => x.verdict === 'warn').length;
  return page(
    'Doctor',
    c.viewer,
    html`${
        failed > 0
          ? notice('error', `${failed} check(s) failed: fix them first.`)
          : notice('ok', warned > 0 ? `Nothing failed; ${warned} warning(s).` : 'Every check passed.')
      }
      <p>The checks of <code>keypadd doctor</code>, run now on this controller. Reload the page to run them again.</p>
      <ul class="checks" id="checks">
        ${checks.map(
          (x) =>
            html`<li class="check ${x.verdict}">
              <strong>${x.verdict.toUpperCase()}</strong> ${x.name}: ${x.detail}${x.fix ? html`<br /><span class="fix">Fix: ${x.fix}</span>` : ''}
            </li>`,
        )}
      </ul>`,
    'doctor',
  );
}

export const SETTINGS_ROUTES: WebRoute[] = [
  { method: 'GET', url: '/settings', need: 'admin', handler: (c) => settingsPage(c) },
  { method: 'GET', url: '/doctor', need: 'admin', handler: (c) => doctorPage(c) },
];
