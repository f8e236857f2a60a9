/** Doors, live: each door's state (polled every 2 s), its buttons, and the live feed (SSE, static/feed.js). */
import { listEvents } from '../application/events.js';
import { siteTime } from '../application/times.js';
import { newestEventId } from '../application/console-reads.js';
import { httpError } from '../http/errors.js';
import { csrfField, exposureNotice, notice, page } from './layout.js';
import { html, type Html } from './html.js';
import type { DoorView, WebContext, WebRoute } from './deps.js';
import { eventLine, type EventLine } from './words.js';
import { mayDo } from './auth.js';

const MESSAGES: Record<string, string> = {
  admit: 'Door unlocked once.',
  unlock: 'Door unlocked for the time asked (at most its max_unlock_ms).',
  normal: 'Door back to normal.',
  lockout_reset: 'Keypad lockout reset.',
  lockdown: 'Door locked down: cards and PINs refused (emergency credentials still open it), relay held locked.',
  unlockdown: 'Lockdown ended: the door is back to its normal rules.',
};

function doorCard(c: WebContext, door: DoorView): Html {
  const zone = c.admin.config.site.time_zone;
  const lockout = door.lockout?.active
    ? html`<li class="bad">keypad locked out${door.lockout.until ? html` until ${siteTime(door.lockout.until, zone)}` : ''}</li>`
    : html`<li>keypad open</li>`;
  const write = mayDo(c.viewer.role, 'write');
  const button = (op: string, label: string, extra: Html | string = '') =>
    html`<form method="post" action="doors-command">
      ${csrfField(c.viewer)}<input type="hidden" name="door" value="${door.id}" /><input type="hidden" name="op" value="${op}" />${extra}<button
        type="submit"
      >
        ${label}
      </button>
    </form>`;
  return html`<section class="card door" aria-labelledby="door-${door.id}" data-door="${door.id}">
    <h2 id="door-${door.id}">${door.name}</h2>
    <ul class="state">
      <li class="${door.relay === 'unlocked' ? 'bad' : ''}">relay ${door.relay}</li>
      <li class="${door.door === 'open' ? 'bad' : ''}">door ${door.door}</li>
      <li class="${door.mode.description === 'unlock' ? 'bad' : ''}">
        ${
          door.mode.description === 'unlock'
            ? html`held unlocked${door.mode.relock_at ? html` until ${siteTime(door.mode.relock_at, zone)}` : ''}`
            : 'normal mode'
        }
      </li>
      ${door.lockdown ? html`<li class="bad">locked down${door.lockdown.rex_lockdown.state ? ' (exit button too)' : ''}: ${door.lockdown.message}</li>` : ''}
      ${door.auto_unlock ? html`<li>auto-unlock ${door.auto_unlock.name}: ${door.auto_unlock_state ?? 'idle'}</li>` : ''} ${lockout}
      <li>${door.status === 'online' ? 'controller online' : 'controller offline'}</li>
    </ul>
    ${
      write
        ? html`<div class="actions">
            ${button('admit', 'Admit')}
            ${button('unlock', 'Unlock', html`<label for="minutes-${door.id}">Minutes</label><input id="minutes-${door.id}" name="minutes" type="number" min="1" max="1440" value="5" required />`)}
            ${button('normal', 'Back to normal')} ${button('lockout_reset', 'Reset lockout')}
            ${door.lockdown ? (mayDo(c.viewer.role, 'admin') ? button('unlockdown', 'End lockdown') : '') : button('lockdown', 'Lock down')}
          </div>`
        : html`<p class="muted">Viewers see the doors; operators and admins command them.</p>`
    }
  </section>`;
}

const feedItem = (l: EventLine) =>
  html`<li data-id="${l.id}">
    <time>${l.at}</time>
    <strong>${l.title}</strong
    >${l.door ? html` · ${l.door}` : ''}${l.person ? html` · ${l.person}` : ''}${l.reason ? html` · ${l.reason}` : ''}${l.source ? html` <span class="muted">(${l.source})</span>` : ''}
  </li>`;

async function doorCards(c: WebContext): Promise<Html> {
  const doors = (await c.deps.doors({ op: 'list' })) as DoorView[];
  return html`${doors.map((d) => doorCard(c, d))}`;
}

export const DOOR_ROUTES: WebRoute[] = [
  {
    method: 'GET',
    url: '/doors',
    need: 'read',
    handler: async (c) => {
      const zone = c.admin.config.site.time_zone;
      const recent = listEvents(c.admin, { limit: 20 }).map((e) => eventLine(e, zone));
      const msg = MESSAGES[c.query.get('done') ?? ''];
      return page(
        'Doors',
        c.viewer,
        html`${exposureNotice(c.deps)}${msg ? notice('ok', msg) : ''}
          <div class="doors" id="doors" hx-get="doors-cards" hx-trigger="every 2s" hx-swap="innerHTML">${await doorCards(c)}</div>
          <section class="card" aria-labelledby="feed-title">
            <h2 id="feed-title">Live events</h2>
            <p class="muted" id="feed-status" role="status">Connecting…</p>
            <ul class="feed" id="feed" data-stream="events-stream?after=${newestEventId(c.admin)}" aria-live="polite">
              ${[...recent].map(feedItem)}
            </ul>
          </section>
          <script src="static/feed.js" defer></script>`,
        'doors',
      );
    },
  },
  { method: 'GET', url: '/doors-cards', need: 'read', handler: doorCards },
  {
    method: 'POST',
    url: '/doors-command',
    need: 'write',
    handler: async (c) => {
      const door = Number(c.form.door);
      if (!Number.isSafeInteger(door)) throw httpError(422, 'validation_failed', 'door: must be a door id');
      const op = c.form.op ?? '';
      let command;
      if (op === 'admit') command = { op: 'admit' as const, door };
      else if (op === 'unlock') {
        const minutes = Number(c.form.minutes);
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
          throw httpError(422, 'validation_failed', 'minutes: must be a whole number from 1 to 1440');
        command = { op: 'admit' as const, door, durationMs: minutes * 60_000 };
      } else if (op === 'normal') command = { op: 'back_to_normal' as const, door };
      else if (op === 'lockout_reset') command = { op: 'lockout_reset' as const, door };
      else if (op === 'lockdown') command = { op: 'lockdown' as const, door, card: true, rex: false, aux: false };
      else if (op === 'unlockdown') {
        // Ending a lockdown is the unsafe direction: admins only (an operator may start one).
        if (!mayDo(c.viewer.role, 'admin')) throw httpError(403, 'forbidden', 'op: only an admin may end a lockdown');
        command = { op: 'unlockdown' as const, door };
      } else throw httpError(422, 'validation_failed', 'op: must be admit, unlock, normal, lockout_reset, lockdown or unlockdown');
      await c.deps.doors({ op: 'command', command, source: c.source });
      return c.reply.redirect(`doors?done=${op}`, 303);
    },
  },
  {
    method: 'GET',
    url: '/events-stream',
    need: 'read',
    handler: (c) => {
      c.deps.feed.open(c.request, c.reply);
      return c.reply;
    },
  },
];
