/**
 * Visitors in one step: the person (no standing role), their reservation (window and doors) and a generated PIN,
 * made in one transaction; then, when asked, the PIN mailed with the window, the doors and the site's instructions.
 * The CLI, the API and the console all call these, so a visitor is made the same way everywhere.
 *
 * A mail that fails every try leaves the person and the reservation, and deletes the PIN nobody received (under digest
 * storage it cannot be read back, and a live PIN nobody holds only helps a guesser); `resendInvite` makes a new one.
 */
import type { NewEvent } from '../storage/event-repo.js';
import { CredentialRepo, PIN_TYPE_ID } from '../storage/credential-repo.js';
import { newEvent, now } from '../storage/new-event.js';
import { truncateWal } from '../storage/store.js';
import type { AdminContext } from './context.js';
import { createCredential, type Created } from './credentials.js';
import { invalid, Problems, refuseIfSynced } from './errors.js';
import { readInviteTemplate, renderInvite, sendWithRetry, type MailSender } from './invite-mail.js';
import { addPerson, getPerson, getPersonRow, type PersonView } from './people.js';
import { addReservation, listReservations, type ReservationView } from './reservations.js';
import { siteEnd, siteTime } from './times.js';

export interface VisitorInput {
  first_name?: string | undefined;
  last_name?: string | undefined;
  email?: string | null | undefined;
  start_time?: string | undefined;
  end_time?: string | undefined;
  /** Door ids; empty or absent: every door. */
  channel_ids?: number[] | undefined;
}

export interface Visitor {
  person: PersonView;
  reservation: ReservationView;
  /** The PIN credential; its value is the PIN, in this answer only. */
  pin: Created;
}

/** What delivering needs besides the data: the SMTP sender, where events go, and who asked (the event's source). */
export interface InviteDelivery {
  sender: MailSender;
  record: (event: NewEvent) => void;
  source: string;
  sleep?: (ms: number) => Promise<void>;
}

export type Delivery = { sent: true; tries: number } | { sent: false; tries: number; error: string };

/** Makes the person, the reservation and the PIN, all or nothing. Refused before anything is made on bad input. */
export function createVisitor(ctx: AdminContext, input: VisitorInput, options: { emailRequired?: boolean } = {}): Visitor {
  if (options.emailRequired && !input.email?.trim()) throw invalid('email', 'is required to mail the PIN');
  return ctx.store.db
    .transaction((): Visitor => {
      const person = addPerson(ctx, { first_name: input.first_name, last_name: input.last_name, email: input.email || null, visitor: true });
      const reservation = addReservation(ctx, {
        person_id: person.id,
        start_time: input.start_time,
        end_time: input.end_time,
        channel_ids: input.channel_ids?.length ? input.channel_ids : undefined,
      });
      const pin = createCredential(ctx, { person_id: person.id, credential_type_id: PIN_TYPE_ID });
      return { person, reservation, pin };
    })
    .immediate();
}

/** Makes the visitor, then mails the PIN. Refusals (bad input) throw; a failed mail is in `delivery`. */
export async function inviteVisitor(ctx: AdminContext, input: VisitorInput, deps: InviteDelivery): Promise<Visitor & { delivery: Delivery }> {
  readInviteTemplate(ctx.config.email); // a broken template is found before anyone is made
  const visitor = createVisitor(ctx, input, { emailRequired: true });
  return { ...visitor, delivery: await deliverInvite(ctx, visitor, deps) };
}

/**
 * A new PIN for a visitor, mailed: the old PIN is deleted first (it cannot be read back), so only the newest mail
 * opens the door. Uses the visitor's next reservation that has not ended.
 */
export async function resendInvite(ctx: AdminContext, personId: number, deps: InviteDelivery): Promise<Visitor & { delivery: Delivery }> {
  const row = getPersonRow(ctx, personId);
  refuseIfSynced('person', row);
  const person = getPerson(ctx, personId);
  const problems = new Problems();
  if (!person.email) problems.add('person', `person ${personId} has no email address (person update --email)`);
  const reservation = listReservations(ctx, { person_id: personId }).sort((a, b) => a.start_time.localeCompare(b.start_time))[0];
  if (!reservation) problems.add('person', `person ${personId} has no current or future reservation to invite to`);
  problems.throwIfAny();
  readInviteTemplate(ctx.config.email);
  const repo = new CredentialRepo(ctx.store.db);
  const pin = ctx.store.db
    .transaction(() => {
      const old = repo.forPerson(personId, PIN_TYPE_ID);
      if (old) {
        refuseIfSynced('credential', old);
        repo.delete(old.id);
      }
      return createCredential(ctx, { person_id: personId, credential_type_id: PIN_TYPE_ID });
    })
    .immediate();
  truncateWal(ctx.store.db); // the old PIN's page leaves the WAL too (secure_delete zeroed it in the file)
  const visitor = { person, reservation: reservation!, pin };
  return { ...visitor, delivery: await deliverInvite(ctx, visitor, deps) };
}

async function deliverInvite(ctx: AdminContext, visitor: Visitor, deps: InviteDelivery): Promise<Delivery> {
  const { person, reservation, pin } = visitor;
  const email = ctx.config.email;
  const zone = ctx.config.site.time_zone;
  const names = new Map(ctx.config.doors.map((d) => [d.id, d.name]));
  const doors = reservation.all_channels ? 'all doors' : reservation.channel_ids.map((id) => names.get(id) ?? `door ${id}`).join(', ');
  const text = renderInvite(readInviteTemplate(email), {
    first_name: person.first_name,
    last_name: person.last_name,
    pin: pin.credential.value ?? '',
    start: siteTime(reservation.start_time, zone),
    end: siteEnd(reservation.end_time, zone),
    doors,
    site: ctx.config.site.name,
    instructions: email.instructions,
  });
  const message = { to: person.email!, subject: `Your PIN for ${ctx.config.site.name}`, text };
  const result = await sendWithRetry(deps.sender, message, email, deps.sleep);
  const who = `${person.first_name} ${person.last_name}`;
  const fields = { door_id: null, person_id: person.id, person_name: who, source: deps.source };
  if (result.ok) {
    deps.record(
      newEvent(
        'visitor_invited',
        { ...fields, event_label: `${who}: PIN mailed`, detail: { reservation_id: reservation.id, tries: result.tries } },
        now(),
      ),
    );
    return { sent: true, tries: result.tries };
  }
  // Nobody received this PIN: delete it rather than leave a live code no one holds.
  const repo = new CredentialRepo(ctx.store.db);
  if (repo.get(pin.credential.id)) {
    repo.delete(pin.credential.id);
    truncateWal(ctx.store.db);
  }
  deps.record(
    newEvent(
      'invite_failed',
      {
        ...fields,
        event_label: `${who}: invite not sent after ${result.tries} tries (${result.error})`,
        detail: { reservation_id: reservation.id, tries: result.tries, error: result.error },
      },
      now(),
    ),
  );
  return { sent: false, tries: result.tries, error: result.error };
}
