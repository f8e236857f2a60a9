/**
 * The one page that shows a new PIN: big, with a copy button (static/copy.js), never cached (Cache-Control:
 * no-store on every console page), never in a URL (it is the answer to the POST that made it), and never again:
 * under digest storage it cannot be, and the console does not show stored PINs anyway.
 */
import { html, type Html } from './html.js';

export function pinOnce(pin: string, who: string, warnings: readonly string[]): Html {
  return html`<section class="card" aria-labelledby="pin-title">
      <h2 id="pin-title">New PIN for ${who}</h2>
      <p class="pin" id="new-pin" data-testid="new-pin">${pin}</p>
      <p><button type="button" id="copy-pin" data-copy="new-pin">Copy PIN</button> <span id="copy-status" role="status"></span></p>
      <p><strong>Write it down or pass it on now: it is shown only this once.</strong> Then type it on the keypad and press #.</p>
      ${warnings.map((w) => html`<p class="notice error" role="alert">${w}</p>`)}
    </section>
    <script src="static/copy.js" defer></script>`;
}
