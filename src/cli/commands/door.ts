/**
 * keypadd door lockdown|unlockdown|unlock|normal|auto-unlock|admit-person and keypadd site lockdown|unlockdown: site operations on
 * the running daemon (the doors are its), through the same command table as the API and MQTT; each is an event with
 * source "cli". A lockdown, an unlock until a time and an auto-unlock shift survive the daemon's restart.
 */
import type { Command } from 'commander';
import { invalid } from '../../application/errors.js';
import type { DoorCommand } from '../../commands/door-commands.js';
import { parseSiteTime } from '../../core/site-time.js';
import type { DoorStatus } from '../../door/door-controller.js';
import { askDaemon } from '../control.js';
import { print } from '../output.js';
import { positiveInt } from '../parse.js';
import { type Session, withSession } from '../session.js';

interface LockdownFlags {
  card?: boolean;
  rex?: boolean;
  aux?: boolean;
}

/** Without a flag, cards and PINs are locked down (DoorFlow's default message); REX only when asked. */
const lockdownOf = (o: LockdownFlags) => {
  const none = !o.card && !o.rex && !o.aux;
  return { card: none || o.card === true, rex: o.rex === true, aux: o.aux === true };
};

const run = <T>(s: Session, command: DoorCommand) => askDaemon<T>(s, { cmd: 'door_command', command, source: 'cli' });

function describe(d: DoorStatus): string {
  const lines = [`Door ${d.id} (${d.name}): relay ${d.relay}, mode ${d.mode.description}${d.mode.relock_at ? ` until ${d.mode.relock_at}` : ''}`];
  if (d.lockdown) lines.push(`  lockdown: ${d.lockdown.message}`);
  if (d.auto_unlock) lines.push(`  auto-unlock: shift ${d.auto_unlock.id} (${d.auto_unlock.name}), ${d.auto_unlock.state}`);
  return lines.join('\n');
}

const withLockdownFlags = (c: Command) =>
  c
    .option('--card', 'refuse cards and PINs (the default when no flag is given)')
    .option('--rex', 'refuse the request-to-exit button too: only where egress is mechanical (see the README)')
    .option('--aux', 'refuse the auxiliary input');

export function registerDoor(program: Command): void {
  const door = program.command('door').description('site operations on a door of the running daemon: lockdown, unlock, auto-unlock');

  withLockdownFlags(door.command('lockdown').description('lock a door down: the relay locked, any unlock ended, credentials refused (code 22)'))
    .requiredOption('--door <id>', 'door id', positiveInt)
    .action(
      withSession(async (s, o: LockdownFlags & { door: number }) => {
        const d = await run<DoorStatus>(s, { op: 'lockdown', door: o.door, ...lockdownOf(o) });
        print(s, d, () => describe(d));
      }),
    );

  const simple: [string, string, (id: number) => DoorCommand][] = [
    ['unlockdown', 'end a door’s own lockdown (a site lockdown stays)', (id) => ({ op: 'unlockdown', door: id })],
    ['normal', 'end an unlock: back to normal access control', (id) => ({ op: 'back_to_normal', door: id })],
    ['lock', 'lock now (a running shift waits for the next person in)', (id) => ({ op: 'lock', door: id })],
  ];
  for (const [verb, text, command] of simple)
    door
      .command(verb)
      .description(text)
      .requiredOption('--door <id>', 'door id', positiveInt)
      .action(
        withSession(async (s, o: { door: number }) => {
          const d = await run<DoorStatus>(s, command(o.door));
          print(s, d, () => describe(d));
        }),
      );

  door
    .command('unlock')
    .description('hold a door unlocked, until a time with --until, else until `door normal`')
    .requiredOption('--door <id>', 'door id', positiveInt)
    .option('--until <time>', 'relock at this time (ISO 8601; without an offset, site local time)')
    .action(
      withSession(async (s, o: { door: number; until?: string }) => {
        let relockAtMs: number | null = null;
        if (o.until !== undefined) {
          relockAtMs = parseSiteTime(o.until, s.config().config.site.time_zone);
          if (relockAtMs === null) throw invalid('until', 'must be a time like 2026-01-15T17:00 (site time) or 2026-01-15T17:00:00Z');
        }
        const d = await run<DoorStatus>(s, { op: 'hold_unlocked', door: o.door, relockAtMs });
        print(s, d, () => describe(d));
      }),
    );

  door
    .command('auto-unlock')
    .description('unlock a door during a shift (`keypadd shift add`), or stop with --shift off')
    .requiredOption('--door <id>', 'door id', positiveInt)
    .requiredOption('--shift <id|off>', 'shift id, or off')
    .action(
      withSession(async (s, o: { door: number; shift: string }) => {
        const shiftId = o.shift === 'off' ? null : /^\d{1,9}$/.test(o.shift) ? Number(o.shift) : NaN;
        if (Number.isNaN(shiftId)) throw invalid('shift', 'must be a shift id or off');
        const d = await run<DoorStatus>(s, { op: 'auto_unlock', door: o.door, shiftId });
        print(s, d, () => describe(d));
      }),
    );

  door
    .command('admit-person')
    .description('unlock once for a named person, only if they have access at this door now (as at the keypad)')
    .requiredOption('--door <id>', 'door id', positiveInt)
    .requiredOption('--person <id>', 'person id', positiveInt)
    .action(
      withSession(async (s, o: { door: number; person: number }) => {
        const r = await run<{ decision: { granted: boolean; reason?: string }; status: DoorStatus }>(s, {
          op: 'admit_person',
          door: o.door,
          personId: o.person,
        });
        print(s, r, () => `${r.decision.granted ? 'admitted' : `denied: ${r.decision.reason ?? 'refused'}`}\n${describe(r.status)}`);
        // A denial prints its reason and exits 1 (as a failed doctor check or pull does), so a script can branch on it.
        if (!r.decision.granted) process.exitCode = 1;
      }),
    );

  const site = program.command('site').description('site-wide operations on every door of the running daemon');
  withLockdownFlags(site.command('lockdown').description('lock every door down; survives a restart until `site unlockdown`')).action(
    withSession(async (s, o: LockdownFlags) => {
      const r = await run<{ doors: DoorStatus[] }>(s, { op: 'site_lockdown', ...lockdownOf(o) });
      print(s, r, () => r.doors.map(describe).join('\n'));
    }),
  );
  site
    .command('unlockdown')
    .description('end the site lockdown (a door’s own lockdown stays)')
    .action(
      withSession(async (s) => {
        const r = await run<{ doors: DoorStatus[] }>(s, { op: 'site_unlockdown' });
        print(s, r, () => r.doors.map(describe).join('\n'));
      }),
    );
}
