/** keypadd webhook add|list|delete: DoorFlow's notification rules, from the command line. */
import { InvalidArgumentError, type Command } from 'commander';
import { addNotificationRule, deleteNotificationRule, listNotificationRules } from '../../application/notification-rules.js';
import { print, table } from '../output.js';
import { collectInt, positiveInt } from '../parse.js';
import { withSession } from '../session.js';

/** "10,11,20" or repeated --event: DoorFlow event codes. */
function codes(value: string, previous: number[] = []): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d{1,3}$/.test(p))) throw new InvalidArgumentError('must be event codes like 10,11,20.');
  return [...previous, ...parts.map(Number)];
}

export function registerWebhook(program: Command): void {
  const webhook = program.command('webhook').description('webhooks: POST chosen events to a URL, signed, in order, losing none');

  webhook
    .command('add')
    .description('make a notification rule; prints its signing secret once')
    .requiredOption('--name <name>', 'what it is for')
    .requiredOption('--url <url>', 'where to POST (https://; http:// only to loopback unless --allow-http)')
    .requiredOption(
      '--event <codes>',
      'DoorFlow event codes it sends, comma-separated or repeated (10,11 admits, 20-27 rejects, 33,34 alarms)',
      codes,
    )
    .option('--door <id>', 'only events at this door (repeat for several; default every door and the controller)', collectInt)
    .option('--allow-http', 'allow plain http:// to a host other than this machine (the events cross the network readable)')
    .option('--payload <format>', 'what the POST carries: event (the event JSON, default), slack, telegram, text (ntfy)')
    .option('--inactive', 'make it switched off')
    .action(
      withSession(
        (s, o: { name: string; url: string; event: number[]; door?: number[]; allowHttp?: boolean; payload?: string; inactive?: boolean }) => {
          const rule = addNotificationRule(s.admin(), {
            name: o.name,
            call_back_url: o.url,
            match_event_codes: o.event,
            match_controller_ids: o.door,
            allow_insecure_http: o.allowHttp === true,
            payload_format: o.payload,
            active: o.inactive !== true,
          });
          print(s, rule, () =>
            [
              `Added webhook ${rule.id} "${rule.name}" to ${rule.actions[0]!.data} for events ${rule.events.map((e) => e.code).join(', ')}`,
              `Signing secret (shown only now; X-Keypadd-Signature is sha256=HMAC-SHA256(secret, body)):`,
              `  ${rule.secret}`,
            ].join('\n'),
          );
        },
      ),
    );

  webhook
    .command('list')
    .description('list notification rules and how their delivery goes')
    .action(
      withSession((s) => {
        const rules = listNotificationRules(s.admin());
        print(s, rules, () =>
          table(
            ['ID', 'NAME', 'URL', 'EVENTS', 'DOORS', 'STATE', 'BACKLOG', 'PARKED', 'LAST ERROR'],
            rules.map((r) => [
              r.id,
              r.name,
              r.actions[0]!.data,
              r.events.map((e) => e.code).join(','),
              r.conditions.length ? r.conditions.map((c) => c.value).join(',') : 'all',
              r.delivery.state,
              r.delivery.backlog,
              r.delivery.parked,
              r.delivery.last_error ?? '',
            ]),
            'No webhooks.',
          ),
        );
      }),
    );

  webhook
    .command('delete')
    .description('delete a notification rule (what it had not delivered is no longer kept for it)')
    .argument('<id>', 'rule id', positiveInt)
    .action(
      withSession((s, id: number) => {
        const r = deleteNotificationRule(s.admin(), id);
        print(s, r, () => `Deleted webhook ${id}`);
      }),
    );
}
