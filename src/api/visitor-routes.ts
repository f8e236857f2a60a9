/**
 * keypadd's extension: POST /api/3/visitors makes a visitor in one step (person, reservation, generated PIN) and
 * mails the PIN, as `keypadd visitor invite` does; POST /api/3/visitors/{id}/resend mails a new PIN. The mail is sent
 * from this worker thread (never the doors' thread). A mailed PIN is not in the answer; with `send_email: false` the
 * PIN is in the answer only, as for a created credential. A failed mail still answers 201 (the visitor exists), with
 * `invite.sent` false and an `invite_failed` event.
 */
import { z } from 'zod';
import { smtpSender } from '../application/invite-mail.js';
import { createVisitor, inviteVisitor, resendInvite, type Delivery, type InviteDelivery, type Visitor } from '../application/visitors.js';
import { hasScope } from './scopes.js';
import { parseBody } from './bodies.js';
import { HttpError, httpError } from './http.js';
import type { RequestContext, Route } from './routes.js';

const r = (path: string) => new RegExp(`^/api/3/${path}/?$`);

const visitorBody = z.object({
  first_name: z.string().max(100),
  last_name: z.string().max(100),
  email: z.string().max(320).nullable().optional(),
  start_time: z.string().max(64),
  end_time: z.string().max(64),
  channel_ids: z.array(z.int().min(1)).max(1000).optional(),
  send_email: z.boolean().optional(),
});

/** A visitor is a person and a reservation: the token needs both scopes. */
function needReservationScope(c: RequestContext): void {
  if (!hasScope(c.scopes, 'account.reservation')) throw httpError(403, 'forbidden', 'this token lacks the account.reservation scope');
}

function delivery(c: RequestContext, field: string): InviteDelivery {
  if (c.admin.config.email.host === null) {
    const why = 'email is not configured on this controller (email.host)';
    throw new HttpError(422, { error: 'validation_failed', error_description: `${field}: ${why}`, errors: { [field]: [why] } });
  }
  return { sender: smtpSender(c.admin.config.email), record: c.record, source: `api:${c.tokenName}` };
}

function answer(made: Visitor, invite: Delivery | null) {
  const pin = made.pin.credential;
  return {
    status: 201,
    body: {
      person: made.person,
      reservation: made.reservation,
      // The PIN itself only when it was not mailed (it is then in this answer and nowhere else).
      credential: invite ? { ...pin, value: null } : pin,
      warnings: made.pin.warnings,
      invite: invite ? { sent: invite.sent, tries: invite.tries, ...(invite.sent ? {} : { error: invite.error }) } : null,
    },
  };
}

export const VISITOR_API_ROUTES: Route[] = [
  {
    method: 'POST',
    pattern: r('visitors'),
    scope: 'account.person',
    handler: async (c) => {
      needReservationScope(c);
      const b = parseBody(visitorBody, await c.body(), 'visitor');
      if (b.send_email === false) return answer(createVisitor(c.admin, b), null);
      const made = await inviteVisitor(c.admin, b, delivery(c, 'send_email'));
      if (!made.delivery.sent)
        c.log('warn', `visitor ${made.person.id}: invite mail failed after ${made.delivery.tries} tries: ${made.delivery.error}`);
      return answer(made, made.delivery);
    },
  },
  {
    method: 'POST',
    pattern: r('visitors/(\\d{1,15})/resend'),
    scope: 'account.person',
    handler: async (c) => {
      needReservationScope(c);
      const made = await resendInvite(c.admin, c.params[0]!, delivery(c, 'email'));
      if (!made.delivery.sent)
        c.log('warn', `visitor ${made.person.id}: invite mail failed after ${made.delivery.tries} tries: ${made.delivery.error}`);
      return answer(made, made.delivery);
    },
  },
];
