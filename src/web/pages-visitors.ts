/**
 * Visitors: one form makes the person (a visitor: no standing role), their reservation (window and doors) and a
 * generated PIN, in one transaction (all or nothing), and shows the PIN once, or, with "Email the PIN" (offered when
 * email is configured), mails it from this worker and shows only whether the mail went. "Today" lists who is expected today,
 * who came (their first grant in the window) and whose window has ended; with email configured, a writer can mail a
 * visitor whose window has not ended a new PIN from there (the old one stops working: it cannot be read back).
 */
import { getPerson } from '../application/people.js';
import { listReservations } from '../application/reservations.js';
import { listEvents } from '../application/events.js';
import { audit } from '../application/console-reads.js';
import { smtpSender } from '../application/invite-mail.js';
import { siteTime } from '../application/times.js';
import { createVisitor, inviteVisitor, resendInvite, type Delivery, type Visitor, type VisitorInput } from '../application/visitors.js';
import { csrfField, page } from './layout.js';
import { html } from './html.js';
import { mayDo } from './auth.js';
import type { WebContext, WebRoute } from './deps.js';
import { pinOnce } from './pin-once.js';

const mayResend = (c: WebContext) => mayDo(c.viewer.role, 'write') && c.admin.config.email.host !== null;

function resendButton(c: WebContext, personId: number, who: string) {
  return html`<form method="post" action="visitor-resend" class="inline">
    ${csrfField(c.viewer)}<input type="hidden" name="id" value="${personId}" />
    <button type="submit" aria-label="Email ${who} a new PIN">Email a new PIN</button>
  </form>`;
}

/** What became of a mailed PIN: sent, or why not and what the visitor is left with. */
function deliveryNotice(c: WebContext, made: Visitor, d: Delivery) {
  const who = `${made.person.first_name} ${made.person.last_name}`;
  return d.sent
    ? html`<section class="card"><p role="status">PIN for ${who} mailed to ${made.person.email ?? ''}.</p></section>`
    : html`<section class="card">
        <p class="notice error" role="alert">
          ${who} and the reservation are kept, but the mail to ${made.person.email ?? ''} failed after ${d.tries} tries (${d.error}). The unsent PIN
          was deleted: once mail works, send a new one with "Email a new PIN" on the visitors page.
        </p>
        ${mayResend(c) ? resendButton(c, made.person.id, who) : ''}
      </section>`;
}

const localInput = (ms: number, zone: string) => siteTime(new Date(ms).toISOString(), zone).slice(0, 16);

function today(c: WebContext) {
  const zone = c.admin.config.site.time_zone;
  const nowMs = c.admin.now();
  const dayStart = nowMs - 12 * 3_600_000;
  const dayEnd = nowMs + 12 * 3_600_000;
  const rows = listReservations(c.admin, { include_past: true, per_page: 500 }).filter(
    (r) => Date.parse(r.end_time) >= dayStart && Date.parse(r.start_time) <= dayEnd,
  );
  if (rows.length === 0) return html`<p>No visitor is expected within 12 hours either side of now.</p>`;
  const resend = mayResend(c);
  return html`<div class="table">
    <table>
      <thead>
        <tr>
          <th scope="col">Visitor</th>
          <th scope="col">Window</th>
          <th scope="col">Status</th>
          ${resend ? html`<th scope="col">PIN</th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${rows.map((r) => {
          const person = getPerson(c.admin, r.person_id);
          const granted = listEvents(c.admin, { person_id: r.person_id, since: r.start_time, until: r.end_time, limit: 500 }).filter(
            (e) => e.event_type === 'access_granted',
          );
          const first = granted.at(-1);
          const status = first
            ? `came ${siteTime(first.timestamp, zone)}`
            : Date.parse(r.end_time) < nowMs
              ? 'window ended, did not come'
              : 'expected';
          return html`<tr>
            <td><a href="person?id=${person.id}">${person.first_name} ${person.last_name}</a></td>
            <td>${siteTime(r.start_time, zone)} to ${siteTime(r.end_time, zone)}</td>
            <td>${status}</td>
            ${resend ? html`<td>${person.email && Date.parse(r.end_time) >= nowMs ? resendButton(c, person.id, `${person.first_name} ${person.last_name}`) : ''}</td>` : ''}
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

export const VISITOR_ROUTES: WebRoute[] = [
  {
    method: 'GET',
    url: '/visitors',
    need: 'read',
    handler: (c) => {
      const zone = c.admin.config.site.time_zone;
      const nowMs = c.admin.now();
      const form = mayDo(c.viewer.role, 'write')
        ? html`<form method="post" action="visitors" class="card">
            ${csrfField(c.viewer)}
            <h2>New visitor</h2>
            <label for="first_name">First name</label><input id="first_name" name="first_name" type="text" required maxlength="100" />
            <label for="last_name">Last name</label><input id="last_name" name="last_name" type="text" required maxlength="100" />
            <label for="email">Email (optional)</label><input id="email" name="email" type="email" maxlength="200" />
            <label for="start_time">From (site time, ${zone})</label
            ><input id="start_time" name="start_time" type="datetime-local" required value="${localInput(nowMs, zone)}" />
            <label for="end_time">Until</label
            ><input id="end_time" name="end_time" type="datetime-local" required value="${localInput(nowMs + 8 * 3_600_000, zone)}" />
            <fieldset>
              <legend>Doors</legend>
              ${c.admin.config.doors.map((d) => html`<p class="inline"><input type="checkbox" id="door-${d.id}" name="door_${d.id}" value="1" checked /> <label for="door-${d.id}">${d.name}</label></p>`)}
            </fieldset>
            ${
              c.admin.config.email.host !== null
                ? html`<p class="inline">
                    <input type="checkbox" id="send_email" name="send_email" value="1" checked />
                    <label for="send_email">Email the PIN to the visitor</label>
                  </p>`
                : ''
            }
            <p><button type="submit">Create visitor and PIN</button></p>
          </form>`
        : '';
      return page(
        'Visitors',
        c.viewer,
        html`${form}
          <section class="card">
            <h2>Today</h2>
            ${today(c)}
          </section>`,
        'visitors',
      );
    },
  },
  {
    method: 'POST',
    url: '/visitors',
    need: 'write',
    handler: async (c) => {
      const f = c.form;
      const doorIds = c.admin.config.doors.filter((d) => f[`door_${d.id}`] === '1').map((d) => d.id);
      const input: VisitorInput = {
        first_name: f.first_name,
        last_name: f.last_name,
        email: f.email,
        start_time: f.start_time,
        end_time: f.end_time,
        channel_ids: doorIds,
      };
      const mail = f.send_email === '1' && c.admin.config.email.host !== null;
      const made: Visitor & { delivery?: Delivery } = mail
        ? await inviteVisitor(c.admin, input, { sender: smtpSender(c.admin.config.email), record: (e) => c.deps.record(e), source: c.source })
        : createVisitor(c.admin, input);
      audit(c.admin, c.viewer.name, 'visitor.add', `person:${made.person.id}`, {
        reservation_id: made.reservation.id,
        credential_id: made.pin.credential.id,
        ...(made.delivery ? { mailed: made.delivery.sent } : {}),
      });
      const who = `${made.person.first_name} ${made.person.last_name}`;
      const shown = made.delivery ? deliveryNotice(c, made, made.delivery) : pinOnce(made.pin.credential.value ?? '', who, made.pin.warnings);
      return page(
        'Visitor created',
        c.viewer,
        html`${shown}
          <p><a href="visitors">Back to visitors</a></p>`,
        'visitors',
      );
    },
  },
  {
    method: 'POST',
    url: '/visitor-resend',
    need: 'write',
    handler: async (c) => {
      const personId = Number(c.form.id);
      const made = await resendInvite(c.admin, personId, {
        sender: smtpSender(c.admin.config.email),
        record: (e) => c.deps.record(e),
        source: c.source,
      });
      audit(c.admin, c.viewer.name, 'visitor.resend', `person:${personId}`, { credential_id: made.pin.credential.id, mailed: made.delivery.sent });
      return page(
        'New PIN mailed',
        c.viewer,
        html`${deliveryNotice(c, made, made.delivery)}
          <p><a href="visitors">Back to visitors</a></p>`,
        'visitors',
      );
    },
  },
];
