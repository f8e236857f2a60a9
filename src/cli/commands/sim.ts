/** keypadd sim key|card|door|rex|status: drive a running simulated door from another shell. */
import type { Command } from 'commander';
import { invalid } from '../../application/errors.js';
import type { DoorStatus, EntryOutcome } from '../../door/door-controller.js';
import { askDaemon } from '../control.js';
import { print } from '../output.js';
import { positiveInt } from '../parse.js';
import { withSession } from '../session.js';

export function describeDoor(door: DoorStatus): string {
  const lock = door.lockout.active ? `, keypad locked out until ${door.lockout.until}` : '';
  const cards = door.card_backoff?.active ? `, card reader backed off until ${door.card_backoff.until}` : '';
  return `door ${door.id} (${door.name}): relay ${door.relay}, door ${door.door}, LED ${door.led}, buzzer ${door.buzzer}, unlocks ${door.unlock_count}${lock}${cards}`;
}

type SimAnswer = DoorStatus & { outcomes: EntryOutcome[] };

/** Each entry's outcome (granted to whom, or denied and why), then the door's state. */
function describeAnswer(answer: SimAnswer): string {
  const lines = answer.outcomes.map((o) => `${o.credential_type}: ${o.granted ? `granted to ${o.person_name}` : `denied (${o.reason})`}`);
  return [...lines, describeDoor(answer)].join('\n');
}

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('drive the simulated door of a running `keypadd run --sim`');
  const doorOption = (c: Command) => c.option('--door <id>', 'which door (default 1)', positiveInt, 1);

  doorOption(sim.command('key').description('type keys on the keypad, e.g. 1234#').argument('<keys>', 'digits, * (clear) and # (enter)')).action(
    withSession(async (s, keys: string, o: { door: number }) => {
      const d = await askDaemon<SimAnswer>(s, { cmd: 'sim_key', door: o.door, keys });
      print(s, d, () => describeAnswer(d));
    }),
  );

  doorOption(
    sim
      .command('card')
      .description('present a card: sent as a 26-, 34- or 37-bit Wiegand frame over the simulated reader')
      .argument('<number>', 'card number, decimal'),
  ).action(
    withSession(async (s, number: string, o: { door: number }) => {
      const d = await askDaemon<SimAnswer>(s, { cmd: 'sim_card', door: o.door, number });
      print(s, d, () => describeAnswer(d));
    }),
  );

  doorOption(sim.command('door').description('open or close the door (the door contact)').argument('<state>', 'open or close')).action(
    withSession(async (s, state: string, o: { door: number }) => {
      if (state !== 'open' && state !== 'close') throw invalid('state', 'must be open or close');
      const d = await askDaemon<DoorStatus>(s, { cmd: 'sim_door', door: o.door, open: state === 'open' });
      print(s, d, () => describeDoor(d));
    }),
  );

  doorOption(sim.command('rex').description('press the request-to-exit button')).action(
    withSession(async (s, o: { door: number }) => {
      const d = await askDaemon<DoorStatus>(s, { cmd: 'sim_rex', door: o.door });
      print(s, d, () => describeDoor(d));
    }),
  );

  doorOption(
    sim
      .command('wiegand')
      .description('send raw Wiegand frames over the simulated data lines, e.g. 10000000100000000000000010 (card 1:1) or "0001 1011" (keys 1 #)')
      .argument('<bits...>', 'one or more frames of 0s and 1s')
      .option('--interval-ms <ms>', 'time between bits (0.2-20, default 1)', Number),
  ).action(
    withSession(async (s, bits: string[], o: { door: number; intervalMs?: number }) => {
      const d = await askDaemon<SimAnswer>(s, { cmd: 'sim_wiegand', door: o.door, bits: bits.join(' '), interval_ms: o.intervalMs });
      print(s, d, () => describeAnswer(d));
    }),
  );

  doorOption(sim.command('tamper').description('trip or clear the simulated tamper switch').argument('<state>', 'on or off')).action(
    withSession(async (s, state: string, o: { door: number }) => {
      if (state !== 'on' && state !== 'off') throw invalid('state', 'must be on or off');
      const d = await askDaemon<DoorStatus>(s, { cmd: 'sim_tamper', door: o.door, on: state === 'on' });
      print(s, d, () => describeDoor(d));
    }),
  );

  sim
    .command('hang')
    .description('block the daemon’s main thread for a while, as a hung daemon would (watchdog testing)')
    .argument('<ms>', 'milliseconds, up to 30000', positiveInt)
    .action(
      withSession(async (s, ms: number) => {
        await askDaemon(s, { cmd: 'sim_hang', door: 1, ms });
        print(s, { hung_ms: ms }, () => `The daemon's main thread was blocked for ${ms} ms`);
      }),
    );

  sim
    .command('crash')
    .description('make the daemon fail with an uncaught error, as a bug would (tests the fatal path: relays locked, exit 70)')
    .action(
      withSession(async (s) => {
        await askDaemon(s, { cmd: 'sim_crash', door: 1 });
        print(s, { crashed: true }, () => 'The daemon was made to throw an uncaught error');
      }),
    );

  sim
    .command('status')
    .description('relay, LED, buzzer, door contact and lockout of every door')
    .action(
      withSession(async (s) => {
        const st = await askDaemon<{ doors: DoorStatus[]; clock_trusted: boolean; event_backlog: number }>(s, { cmd: 'status' });
        print(s, st, () =>
          [...st.doors.map(describeDoor), `clock trusted: ${st.clock_trusted}; events waiting to be stored: ${st.event_backlog}`].join('\n'),
        );
      }),
    );
}
