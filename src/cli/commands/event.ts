/** keypadd event list */
import type { Command } from 'commander';
import { listEvents } from '../../application/events.js';
import { Problems } from '../../application/errors.js';
import { readTime, siteTime } from '../../application/times.js';
import { print, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';

export function registerEvent(program: Command): void {
  program
    .command('event')
    .description('the access event history')
    .command('list')
    .description('list events, newest first')
    .option('--person <id>', 'only this person’s', positiveInt)
    .option('--since <time>', 'only events at or after this time (ISO 8601; without an offset, site local time; a date alone: from its start)')
    .option('--limit <n>', 'at most this many (default 100)', positiveInt)
    .action(
      withSession((s, o: { person?: number; since?: string; limit?: number }) => {
        const ctx = s.admin();
        const problems = new Problems();
        const since = readTime('since', o.since, ctx.config.site.time_zone, problems) ?? undefined;
        problems.throwIfAny();
        const events = listEvents(ctx, { person_id: o.person, since, limit: o.limit ?? 100 });
        const zone = ctx.config.site.time_zone;
        // Shaped like GET /api/3/events in the guide; people read the times in site time.
        print(s, { events }, () =>
          table(
            ['ID', 'TIME', 'DOOR', 'EVENT', 'PERSON', 'CREDENTIAL', 'REASON'],
            events.map((e) => [
              e.id,
              siteTime(e.created_at, zone),
              e.channel_name ?? e.channel_id,
              e.event_type,
              e.person_name ?? e.person_id,
              e.credential_type,
              e.reason,
            ]),
            'No events yet.',
          ),
        );
      }),
    );
}
