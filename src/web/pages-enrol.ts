/**
 * Enrolment by tap on a person's page: "the next unknown card at door N goes to this person", with a timeout; the
 * waiting panel asks every second (htmx) and shows the card once taken. Also "claim from the last denials": the last
 * unknown cards refused at each door, each with a button that gives it to the person. The rules are the CLI's
 * (application/card-enrolment.ts); the door only refuses the card, as it does every unknown card.
 */
import { ENROL_TIMEOUT, pollEnrolment, startEnrolment, unknownCards } from '../application/card-enrolment.js';
import { audit } from '../application/console-reads.js';
import { siteTime } from '../application/times.js';
import { httpError } from '../http/errors.js';
import { csrfField, notice } from './layout.js';
import { html, type Html } from './html.js';
import type { WebContext, WebRoute } from './deps.js';

/** The form that starts an enrolment, and the cards to claim; shown to writers for a person without a card. */
export function enrolPanel(c: WebContext, personId: number): Html {
  const doors = c.admin.config.doors;
  const recent = doors.flatMap((d) => unknownCards(c.admin, d.id, 5).map((card) => ({ ...card, door: d.name })));
  return html`<form method="post" action="enrol-start" class="enrol">
      ${csrfField(c.viewer)}<input type="hidden" name="id" value="${personId}" />
      <h3>Enrol a card by tap</h3>
      <label for="enrol-door">Door whose reader the card is tapped on</label
      ><select id="enrol-door" name="door">
        ${doors.map((d) => html`<option value="${d.id}">${d.name}</option>`)}
      </select>
      <label for="enrol-timeout">Wait (seconds)</label
      ><input
        id="enrol-timeout"
        name="timeout"
        type="number"
        min="${ENROL_TIMEOUT.minS}"
        max="${ENROL_TIMEOUT.maxS}"
        value="${ENROL_TIMEOUT.defaultS}"
      />
      <p><button type="submit">Wait for a card</button></p>
    </form>
    ${
      recent.length === 0
        ? ''
        : html`<h3>Unknown cards refused lately</h3>
            <ul class="unknown-cards">
              ${recent.map(
                (card) =>
                  html`<li>
                    ${card.card_number} at ${card.door}, ${siteTime(card.at, c.admin.config.site.time_zone)}
                    <form method="post" action="credential-card">
                      ${csrfField(c.viewer)}<input type="hidden" name="id" value="${personId}" /><input
                        type="hidden"
                        name="card"
                        value="${card.card_number}"
                      /><button type="submit">Give card ${card.card_number} to this person</button>
                    </form>
                  </li>`,
              )}
            </ul>`
    }`;
}

/** The waiting panel: it replaces itself every second until the card is taken or the time is up. */
function waitingPanel(handle: string, doorName: string, secondsLeft: number): Html {
  return html`<section class="card" id="enrolment" role="status" hx-get="enrol-status?h=${handle}" hx-trigger="load delay:1s" hx-swap="outerHTML">
    <h2>Waiting for a card</h2>
    <p>Tap the card on the reader at ${doorName} within ${secondsLeft} s. It is refused there this once; then it opens the door for this person.</p>
    <p><a href="enrol-status?h=${handle}">Check now</a></p>
  </section>`;
}

type PersonPage = (c: WebContext, id: number, top: Html) => Html;

export function enrolRoutes(personPage: PersonPage): WebRoute[] {
  return [
    {
      method: 'POST',
      url: '/enrol-start',
      need: 'write',
      handler: (c) => {
        const personId = Number(c.form.id);
        const doorId = Number(c.form.door);
        const timeout = c.form.timeout === undefined || c.form.timeout === '' ? ENROL_TIMEOUT.defaultS : Number(c.form.timeout);
        const nowMs = Date.now();
        const enrolment = startEnrolment(c.admin, personId, doorId, timeout, nowMs);
        const handle = c.deps.enrolments.add({ ...enrolment, user: c.viewer.name }, nowMs);
        audit(c.admin, c.viewer.name, 'card.enrol_start', `person:${personId}`, { door: doorId, timeout_s: timeout });
        const door = c.admin.config.doors.find((d) => d.id === doorId)!;
        return personPage(c, personId, waitingPanel(handle, door.name, timeout));
      },
    },
    {
      method: 'GET',
      url: '/enrol-status',
      need: 'write',
      handler: (c) => {
        const handle = c.query.get('h') ?? '';
        const enrolment = c.deps.enrolments.get(handle);
        if (!enrolment) throw httpError(404, 'not_found', 'enrolment: no such enrolment waits here (it ended, or the console restarted)');
        const state = pollEnrolment(c.admin, enrolment, c.source);
        const door = c.admin.config.doors.find((d) => d.id === enrolment.door_id)!;
        let panel: Html;
        if (state.state === 'waiting') panel = waitingPanel(handle, door.name, state.seconds_left);
        else {
          c.deps.enrolments.delete(handle);
          if (state.state === 'enrolled') {
            c.deps.record(state.event);
            audit(c.admin, c.viewer.name, 'card.enrol', `person:${enrolment.person_id}`, { credential_id: state.credential.id, door: door.id });
            panel = html`<div id="enrolment">
              ${notice('ok', `Card ${state.card_number} enrolled at ${door.name}.`)}
              <p><a href="person?id=${enrolment.person_id}">Show the person's credentials</a></p>
            </div>`;
          } else
            panel = html`<div id="enrolment">${notice('error', `No unknown card was tapped at ${door.name} in time; nothing was enrolled.`)}</div>`;
        }
        // htmx swaps the panel alone; without script, the link shows the whole page.
        return c.request.headers['hx-request'] ? panel : personPage(c, enrolment.person_id, panel);
      },
    },
  ];
}
