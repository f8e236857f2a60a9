/** keypadd lockout list|reset: on the running daemon when there is one, else on its stored state. */
import type { Command } from 'commander';
import { DaemonNotRunningError } from '../../control/client.js';
import { notFound } from '../../application/errors.js';
import { EventRepo } from '../../storage/event-repo.js';
import { LockoutRepo, readerKey } from '../../storage/lockout-repo.js';
import type { PersistedLockout } from '../../core/lockout.js';
import { newEvent, now } from '../../storage/new-event.js';
import { askDaemon } from '../control.js';
import { print, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { type Session, withSession } from '../session.js';

interface LockoutView {
  door: number;
  name: string;
  active: boolean;
  until: string | null;
  level: number;
  failures_last_hour: number;
  /** The door's card reader: backed off after unknown cards (null when card backoff is off). */
  card_backoff: { active: boolean; until: string | null; level: number; failures_last_hour: number } | null;
}

async function fromDaemon<T>(s: Session, ask: () => Promise<T>): Promise<T | null> {
  try {
    return await ask();
  } catch (err) {
    if (err instanceof DaemonNotRunningError) return null;
    throw err;
  }
}

/** A stopped daemon's lockouts: the time still to serve resumes when it starts again. */
function stored(s: Session): LockoutView[] {
  const { config } = s.config();
  const saved = new LockoutRepo(s.admin().store.db).all();
  const view = (l: PersistedLockout | undefined) => ({
    active: (l?.remainingMs ?? 0) > 0,
    until: l && l.remainingMs > 0 ? `${Math.ceil(l.remainingMs / 1000)} s after the next start` : null,
    level: l?.level ?? 0,
    failures_last_hour: l?.failureAgesMs.filter((a) => a < 3_600_000).length ?? 0,
  });
  return config.doors.map((d) => ({
    door: d.id,
    name: d.name,
    ...view(saved.get(d.id)),
    card_backoff: config.lockout.cards.enabled ? view(saved.get(readerKey(d.id))) : null,
  }));
}

export function registerLockout(program: Command): void {
  const lockout = program.command('lockout').description('wrong-PIN keypad lockouts');

  lockout
    .command('list')
    .description('lockout state of every door keypad')
    .action(
      withSession(async (s) => {
        const list = (await fromDaemon(s, () => askDaemon<LockoutView[]>(s, { cmd: 'lockout_list' }))) ?? stored(s);
        print(s, list, () =>
          table(
            ['DOOR', 'NAME', 'KEYPAD LOCKED', 'UNTIL', 'LEVEL', 'WRONG PINS (1 H)', 'READER BACKED OFF'],
            list.map((l) => [
              l.door,
              l.name,
              l.active ? 'yes' : 'no',
              l.until,
              l.level,
              l.failures_last_hour,
              l.card_backoff?.active ? `yes, until ${l.card_backoff.until}` : 'no',
            ]),
            'No doors.',
          ),
        );
      }),
    );

  lockout
    .command('reset')
    .description('end a keypad lockout (and the card reader backoff) and forget their failures')
    .requiredOption('--door <id>', 'door id', positiveInt)
    .action(
      withSession(async (s, o: { door: number }) => {
        const door = s.config().config.doors.find((d) => d.id === o.door);
        if (!door) throw notFound('door', `no door ${o.door}`);
        const live = await fromDaemon(s, () => askDaemon(s, { cmd: 'lockout_reset', door: o.door, source: 'cli' }));
        if (live === null) {
          const db = s.admin().store.db;
          new LockoutRepo(db).clear(o.door);
          new LockoutRepo(db).clear(readerKey(o.door));
          new EventRepo(db).append(
            newEvent('lockout_reset', { door_id: o.door, event_label: `${door.name}: keypad lockout reset`, source: 'cli' }, now()),
          );
        }
        print(s, { door: o.door, reset: true, daemon_running: live !== null }, () => `Keypad lockout of door ${o.door} (${door.name}) reset`);
      }),
    );
}
