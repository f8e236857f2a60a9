/**
 * Enrolment by tap: "the next unknown card at door N goes to this person". The door is not told: it refuses the
 * card as unknown as it would anyway (an enrolment never opens a door), and records its number in the refusal,
 * as it does for every unknown card. An enrolment then claims the first such refusal after it began, and gives the
 * card to the person under the same rules as a typed card (createCredential). The CLI and the console share it.
 */
import { lastEventId } from '../storage/console-queries.js';
import { EventRepo, type EventRow, type NewEvent } from '../storage/event-repo.js';
import { CARD_TYPE_ID, CredentialRepo } from '../storage/credential-repo.js';
import { newEvent, now } from '../storage/new-event.js';
import type { AdminContext } from './context.js';
import { createCredential, type CredentialView } from './credentials.js';
import { RefusedError, invalid, notFound, refuseIfSynced } from './errors.js';
import { getPersonRow } from './people.js';

/** An unknown card refused at a door: the number its reader sent, and when. */
export interface UnknownCard {
  card_number: string;
  at: string;
  event_id: number;
}

/** A started enrolment: it claims only cards refused after `after_event_id`, until `deadline_ms`. */
export interface Enrolment {
  person_id: number;
  door_id: number;
  after_event_id: number;
  deadline_ms: number;
}

export const ENROL_TIMEOUT = { defaultS: 60, minS: 5, maxS: 600 };

function doorOf(ctx: AdminContext, doorId: number) {
  const door = ctx.config.doors.find((d) => d.id === doorId);
  if (!door) throw notFound('door', `no door ${doorId}`);
  return door;
}

const cardOf = (e: EventRow): UnknownCard => ({
  card_number: String((JSON.parse(e.detail ?? '{}') as { card_number?: unknown }).card_number),
  at: e.created_at,
  event_id: e.id,
});

/**
 * The last unknown cards refused at a door, newest first, each number once and only while it is still nobody's
 * ("claim from the last denials").
 */
export function unknownCards(ctx: AdminContext, doorId: number, limit = 10): UnknownCard[] {
  doorOf(ctx, doorId);
  const repo = new CredentialRepo(ctx.store.db);
  const seen = new Set<string>();
  const cards: UnknownCard[] = [];
  for (const card of new EventRepo(ctx.store.db).unknownCardsAtDoor(doorId, { limit: limit * 5 }).map(cardOf)) {
    if (seen.has(card.card_number)) continue;
    seen.add(card.card_number);
    if (!repo.byDigest(CARD_TYPE_ID, ctx.store.digest(card.card_number))) cards.push(card);
    if (cards.length === limit) break;
  }
  return cards;
}

/**
 * Starts an enrolment, refusing at once what would be refused when the card comes (no such person or door, a
 * synced person, a person who has a card already), so nobody waits at the door for nothing.
 */
export function startEnrolment(ctx: AdminContext, personId: number, doorId: number, timeoutS: number, nowMs = Date.now()): Enrolment {
  doorOf(ctx, doorId);
  if (!Number.isInteger(timeoutS) || timeoutS < ENROL_TIMEOUT.minS || timeoutS > ENROL_TIMEOUT.maxS)
    throw invalid('timeout', `must be a whole number of seconds from ${ENROL_TIMEOUT.minS} to ${ENROL_TIMEOUT.maxS}`);
  const person = getPersonRow(ctx, personId);
  refuseIfSynced('person_id', person);
  const card = new CredentialRepo(ctx.store.db).forPerson(personId, CARD_TYPE_ID);
  if (card) throw new RefusedError('conflict', { person_id: [`person ${personId} already has a card (${card.id}); delete it first`] });
  return { person_id: personId, door_id: doorId, after_event_id: lastEventId(ctx.store.db), deadline_ms: nowMs + timeoutS * 1000 };
}

export type EnrolmentState =
  | { state: 'waiting'; seconds_left: number }
  | { state: 'expired' }
  | { state: 'enrolled'; credential: CredentialView; card_number: string; event: NewEvent };

/**
 * Looks for the card: the first unknown card refused at the door since the enrolment began becomes the person's.
 * The caller records `event` (card_enrolled: the person and the credential, not the number, which is now theirs).
 * A card tapped before the deadline is claimed even when this is asked a little after it.
 */
export function pollEnrolment(ctx: AdminContext, enrolment: Enrolment, source: string, nowMs = Date.now()): EnrolmentState {
  const tapped = new EventRepo(ctx.store.db)
    .unknownCardsAtDoor(enrolment.door_id, { afterId: enrolment.after_event_id, limit: 1 })
    .find((e) => Date.parse(e.created_at) <= enrolment.deadline_ms + 1000);
  if (!tapped)
    return nowMs > enrolment.deadline_ms
      ? { state: 'expired' }
      : { state: 'waiting', seconds_left: Math.ceil((enrolment.deadline_ms - nowMs) / 1000) };
  const card = cardOf(tapped);
  const { credential } = createCredential(ctx, { person_id: enrolment.person_id, credential_type_id: CARD_TYPE_ID, value: card.card_number });
  const person = getPersonRow(ctx, enrolment.person_id);
  const name = `${person.first_name} ${person.last_name}`;
  const door = doorOf(ctx, enrolment.door_id);
  const event = newEvent(
    'card_enrolled',
    {
      door_id: enrolment.door_id,
      event_label: `${door.name}: card enrolled by tap for ${name}`,
      person_id: person.id,
      person_name: name,
      credential_id: credential.id,
      credential_type: 'Card',
      source,
      detail: { refusal_event_id: card.event_id },
    },
    now(),
  );
  return { state: 'enrolled', credential, card_number: card.card_number, event };
}
