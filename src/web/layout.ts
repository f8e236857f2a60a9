/**
 * The page shell: one stylesheet and two scripts from the console's own static folder (no inline script or style:
 * the CSP forbids both), relative links only (the console works under any base path, e.g. behind a proxy or Home
 * Assistant ingress), a viewport for phones, and a skip link for keyboards.
 */
import { html, type Html } from './html.js';

export interface Viewer {
  name: string;
  role: 'admin' | 'operator' | 'viewer';
  csrf: string;
}

const NAV: [string, string][] = [
  ['doors', 'Doors'],
  ['people', 'People'],
  ['visitors', 'Visitors'],
  ['events', 'Events'],
  ['roles', 'Roles'],
  ['sync', 'Sync'],
  ['tokens', 'Tokens'],
  ['backup', 'Backup'],
  ['doctor', 'Doctor'],
  ['settings', 'Settings'],
];

export function page(title: string, viewer: Viewer | null, body: Html, current = ''): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}' />
        <title>${title} · keypadd</title>
        <link rel="stylesheet" href="static/console.css" />
        <script src="static/htmx.min.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <span class="brand">keypadd</span>
          ${
            viewer
              ? html`<nav aria-label="Main">
                    ${NAV.map(([href, label]) => html`<a href="${href}" ${href === current ? html` aria-current="page"` : ''}>${label}</a>`)}
                  </nav>
                  <form method="post" action="logout" class="logout">
                    <input type="hidden" name="_csrf" value="${viewer.csrf}" /><button type="submit">Log out ${viewer.name} (${viewer.role})</button>
                  </form>`
              : ''
          }
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
}

/** The hidden CSRF field every form carries. */
export const csrfField = (viewer: Viewer): Html => html`<input type="hidden" name="_csrf" value="${viewer.csrf}" />`;

/** The warning on the login and doors pages while the console crosses the network over plain HTTP. */
export const exposureNotice = (deps: { exposure: string | null }): Html | string =>
  deps.exposure ? notice('error', `Not encrypted: ${deps.exposure}. Set web.tls (sudo systemd/install.sh --web-cert makes a certificate).`) : '';

/** A message above a page: what just happened, or why not. */
export const notice = (kind: 'ok' | 'error', text: string): Html =>
  html`<p class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
