/**
 * keypadd visitor invite|resend: a visitor in one step, the PIN mailed and never printed (the CLI's output reaches
 * terminals, scripts and logs). The CLI sends the mail itself: it is its own process, nowhere near the door.
 */
import type { Command } from 'commander';
import type { AdminContext } from '../../application/context.js';
import { invalid } from '../../application/errors.js';
import { smtpSender } from '../../application/invite-mail.js';
import { inviteVisitor, resendInvite, type Delivery, type InviteDelivery, type Visitor } from '../../application/visitors.js';
import { siteEnd, siteTime } from '../../application/times.js';
import { EventRepo } from '../../storage/event-repo.js';
import { print, warn } from '../output.js';
import { collectInt, positiveInt } from '../parse.js';
import { type Session, withSession } from '../session.js';

function delivery(ctx: AdminContext): InviteDelivery {
  if (ctx.config.email.host === null) throw invalid('email.host', 'is not set in the configuration: configure email (README, Visitors) to mail PINs');
  const events = new EventRepo(ctx.store.db);
  return { sender: smtpSender(ctx.config.email), record: (e) => void events.append(e), source: 'cli' };
}

/** What the admin is told: who, when, where, and whether the mail went. Never the PIN. */
function report(s: Session, ctx: AdminContext, made: Visitor & { delivery: Delivery }, verb: string): void {
  const zone = ctx.config.site.time_zone;
  const { person, reservation, delivery: d } = made;
  const summary = {
    person_id: person.id,
    reservation_id: reservation.id,
    email: person.email,
    start_time: reservation.start_time,
    end_time: reservation.end_time,
    channel_ids: reservation.channel_ids,
    sent: d.sent,
    tries: d.tries,
    ...(d.sent ? {} : { error: d.error }),
  };
  warn(made.pin.warnings);
  const who = `${person.first_name} ${person.last_name} (person ${person.id})`;
  const window = `${siteTime(reservation.start_time, zone)} to ${siteEnd(reservation.end_time, zone)}`;
  if (d.sent) {
    print(s, summary, () => `${verb} ${who}, ${window}: PIN mailed to ${person.email} (${d.tries === 1 ? '1 try' : `${d.tries} tries`})`);
    return;
  }
  if (s.json) print(s, summary, () => '');
  process.stderr.write(
    `keypadd: ${who} and reservation ${reservation.id} are kept, but the PIN mail to ${person.email} failed after ${d.tries} tries: ${d.error}\n` +
      `keypadd: the unsent PIN was deleted; once mail works, run  keypadd visitor resend --person ${person.id}\n`,
  );
  process.exitCode = 1;
}

export function registerVisitor(program: Command): void {
  const visitor = program.command('visitor').description('visitors in one step: person, reservation and a PIN sent by email');

  visitor
    .command('invite')
    .description('make a visitor (no standing role), their reservation and a generated PIN, and email them the PIN')
    .requiredOption('--first-name <name>', 'first name')
    .requiredOption('--last-name <name>', 'last name')
    .requiredOption('--email <address>', 'where the PIN is mailed')
    .requiredOption('--start <time>', 'start (ISO 8601; without an offset, site local time)')
    .requiredOption('--end <time>', 'end, after the start and in the future')
    .option('--door <id>', 'a door it is for (repeat for several; default all doors)', collectInt)
    .action(
      withSession(async (s, o: { firstName: string; lastName: string; email: string; start: string; end: string; door?: number[] }) => {
        const ctx = s.admin();
        const made = await inviteVisitor(
          ctx,
          { first_name: o.firstName, last_name: o.lastName, email: o.email, start_time: o.start, end_time: o.end, channel_ids: o.door },
          delivery(ctx),
        );
        report(s, ctx, made, 'Invited');
      }),
    );

  visitor
    .command('resend')
    .description("delete a visitor's PIN, make a new one and email it (the old PIN cannot be read back)")
    .requiredOption('--person <id>', 'person id', positiveInt)
    .action(
      withSession(async (s, o: { person: number }) => {
        const ctx = s.admin();
        report(s, ctx, await resendInvite(ctx, o.person, delivery(ctx)), 'New PIN for');
      }),
    );
}
