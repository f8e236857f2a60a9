/** keypadd card enrol (the next unknown card at a door becomes the person's) and card list-unknown. */
import type { Command } from 'commander';
import { ENROL_TIMEOUT, pollEnrolment, startEnrolment, unknownCards } from '../../application/card-enrolment.js';
import { DaemonNotRunningError } from '../../control/client.js';
import { EventRepo } from '../../storage/event-repo.js';
import { siteTime } from '../../application/times.js';
import { askDaemon } from '../control.js';
import { print, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';

const POLL_MS = 250;

export function registerCardEnrolment(card: Command): void {
  card
    .command('enrol')
    .description('wait for the next unknown card at a door and give it to the person (the card is refused there meanwhile)')
    .requiredOption('--person <id>', 'person id', positiveInt)
    .requiredOption('--door <id>', 'the door whose reader the card is tapped on', positiveInt)
    .option('--timeout <s>', `seconds to wait (${ENROL_TIMEOUT.minS}-${ENROL_TIMEOUT.maxS})`, positiveInt, ENROL_TIMEOUT.defaultS)
    .action(
      withSession(async (s, o: { person: number; door: number; timeout: number }) => {
        const ctx = s.admin();
        const enrolment = startEnrolment(ctx, o.person, o.door, o.timeout);
        // Only a running daemon reads cards: without one the admin would wait out the timeout for nothing.
        try {
          await askDaemon(s, { cmd: 'status' });
        } catch (err) {
          if (err instanceof DaemonNotRunningError) {
            process.stderr.write('keypadd is not running here: no reader can take the card. Start it (systemctl start keypadd) first.\n');
            process.exitCode = 1; // failed, as a denied `door admit-person`
            return;
          }
          throw err;
        }
        const door = ctx.config.doors.find((d) => d.id === o.door);
        process.stderr.write(`Tap the card at door ${o.door} (${door?.name ?? ''}) within ${o.timeout} s…\n`);
        for (;;) {
          const state = pollEnrolment(ctx, enrolment, 'cli');
          if (state.state === 'enrolled') {
            new EventRepo(ctx.store.db).append(state.event);
            const c = state.credential;
            print(s, c, () => `Card ${state.card_number} enrolled for person ${c.person_id} (credential ${c.id})`);
            return;
          }
          if (state.state === 'expired') {
            process.stderr.write(`No unknown card was tapped at door ${o.door} within ${o.timeout} s; nothing was enrolled.\n`);
            process.exitCode = 1; // failed, as a denied `door admit-person`
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      }),
    );

  card
    .command('list-unknown')
    .description('the last unknown cards refused at a door, newest first (give one to a person with card add --number)')
    .requiredOption('--door <id>', 'door id', positiveInt)
    .option('--limit <n>', 'how many', positiveInt, 10)
    .action(
      withSession((s, o: { door: number; limit: number }) => {
        const ctx = s.admin();
        const cards = unknownCards(ctx, o.door, Math.min(o.limit, 1000));
        print(s, cards, () =>
          table(
            ['card number', 'refused at', 'event'],
            cards.map((c) => [c.card_number, siteTime(c.at, ctx.config.site.time_zone), c.event_id]),
            `No unknown card was refused at door ${o.door} lately.`,
          ),
        );
      }),
    );
}
