/** keypadd status: the running daemon's health, or what the database says when it is stopped. */
import type { Command } from 'commander';
import { DaemonNotRunningError } from '../../control/client.js';
import { EventRepo } from '../../storage/event-repo.js';
import { MQTT_OUTBOX, OutboxRepo } from '../../storage/outbox-repo.js';
import { askDaemon } from '../control.js';
import { print } from '../output.js';
import { withSession } from '../session.js';
import { describeDoor } from './sim.js';
import type { Daemon } from '../../daemon.js';

type Live = ReturnType<Daemon['status']>;

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('daemon health: doors, clock trust, MQTT connection and outbox backlog')
    .action(
      withSession(async (s) => {
        let live: Live | null = null;
        try {
          live = await askDaemon<Live>(s, { cmd: 'status' });
        } catch (err) {
          if (!(err instanceof DaemonNotRunningError)) throw err;
        }
        if (live) {
          const m = live.mqtt;
          const mqtt = !m?.enabled
            ? m?.error
              ? `off (${m.error})`
              : 'off'
            : `${m.connected ? 'connected' : 'not connected'}, ${m.backlog ?? '?'} events to publish`;
          return print(s, { running: true, ...live }, () =>
            [
              `keypadd ${live.version} running${live.sim ? ' (simulated door)' : ''}, up ${live.uptime_s} s; clock trusted: ${live.clock_trusted}${live.clock_problem ? ` (${live.clock_problem})` : ''}`,
              `storage: ${describeStorage(live.storage)}`,
              `MQTT: ${mqtt}; events waiting to be stored: ${live.event_backlog}`,
              ...(live.webhooks?.details ?? []).map(
                (w) =>
                  `webhook ${w.id} "${w.name}": ${w.state}, ${w.backlog} events to look at, ${w.parked} parked${w.last_error ? `; last error: ${w.last_error}` : ''}${w.next_retry_at ? `; next try ${w.next_retry_at}` : ''}`,
              ),
              ...live.doors.map(describeDoor),
            ].join('\n'),
          );
        }
        const { config } = s.config();
        const db = s.admin().store.db;
        const backlog = config.mqtt.url ? new OutboxRepo(db, MQTT_OUTBOX).backlog() : null;
        const [last] = new EventRepo(db).list({ limit: 1 });
        const stopped = {
          running: false,
          outbox_backlog: backlog,
          last_event: last ? { id: last.id, type: last.event_type, at: last.created_at } : null,
        };
        print(s, stopped, () =>
          [
            `keypadd is not running on ${config.data_dir}`,
            `MQTT: ${backlog === null ? 'off' : `${backlog} events to publish`}`,
            `last event: ${last ? `#${last.id} ${last.event_type} at ${last.created_at}` : 'none'}`,
          ].join('\n'),
        );
      }),
    );
}

/** The storage line of `status`: healthy, healthy but busy (a lock held elsewhere), or failing and why. */
function describeStorage(s: { healthy: boolean; since: string | null; problem: string | null; busy_since: string | null; spooled: number }): string {
  if (!s.healthy) return `FAILING since ${s.since}: ${s.problem}`;
  if (s.busy_since) return `healthy, busy since ${s.busy_since} (another connection holds the write lock; ${s.spooled} events in the spool)`;
  return 'healthy';
}
