/**
 * keypadd test relay|led|buzzer|inputs [--door N] [--sim]: check a door's wiring without a credential. The lines are
 * claimed as the daemon claims them (GpioDoorHardware over onoff, or the simulated door), with no database. While
 * the service runs it holds those lines, so the test refuses and says how to stop it.
 */
import { Argument, type Command } from 'commander';
import { createInterface } from 'node:readline';
import { invalid, notFound } from '../../application/errors.js';
import type { Config, DoorConfig } from '../../config/schema.js';
import { InstanceLock } from '../../control/instance-lock.js';
import { parseCardNumber } from '../../core/card-number.js';
import { parseBitString } from '../../core/wiegand-encoder.js';
import type { DoorHardware, InputLine } from '../../drivers/door-hardware.js';
import { SimDoorHardware, SimRelayLine, simRelayFile } from '../../drivers/sim/sim-door.js';
import { lockRelay, openGpio } from '../../drivers/wiring.js';
import { WIRING_PARTS, pulseOutput, watchInputs, type WiringPart } from '../../ops/wiring-test.js';
import { ControlRefusedError } from '../control.js';
import { positiveInt } from '../parse.js';
import { Session } from '../session.js';

/** The service (or a `keypadd run` in another terminal) holds the lines: a refusal, exit 2, with how to stop it. */
class DaemonRunningError extends ControlRefusedError {
  override name = 'DaemonRunningError';
}

const STOP_IT =
  'stop it first with  sudo systemctl stop keypadd  (or end the `keypadd run` in the other terminal), and start it again afterwards with  sudo systemctl start keypadd';
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

interface Wiring {
  hw: DoorHardware;
  tamper: InputLine | null;
  sim: SimDoorHardware | null;
  close(): void;
}

export function registerWiringTest(program: Command): void {
  program
    .command('test')
    .description('check a door’s wiring without a credential: pulse the relay, LED or buzzer, or watch the inputs live (stop the service first)')
    .addArgument(
      new Argument(
        '<part>',
        'relay (unlocks briefly, then locked), led, buzzer, or inputs (door contact, REX, tamper, keys and cards, until Ctrl-C)',
      ).choices(WIRING_PARTS),
    )
    .option('--door <id>', 'which door (default 1)', positiveInt, 1)
    .option('--ms <ms>', 'how long the output stays on; the relay: unlocked (50-10000, default 1000)', positiveInt, 1000)
    .option('--sim', 'the simulated door; with inputs, type on stdin: open, close, rex, tamper on|off, card N, keys 12#, wiegand BITS')
    .action(async (part: WiringPart, o: { door: number; ms: number; sim?: boolean }, cmd: Command) => {
      const { config } = Session.of(cmd).config();
      const sim = o.sim === true;
      const door = checkRequest(config, part, o.door, o.ms, sim);
      await refuseWhileRunning(config.data_dir);
      const wiring = await openWiring(config, door, sim);
      // The last word on every way out, uncaught errors included: the relay ends locked.
      const lockOnExit = () => lockRelay(door, wiring.hw.relay);
      process.on('exit', lockOnExit);
      const aborter = new AbortController();
      let signalled: string | null = null;
      const onSignal = (sig: NodeJS.Signals) => {
        signalled = sig;
        aborter.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const report = (line: string) => process.stdout.write(line + '\n');
      const stopTyping = wiring.sim && part === 'inputs' ? typeIntoSimDoor(wiring.sim, report) : () => undefined;
      try {
        report(`${door.name} (door ${door.id}${sim ? ', simulated' : ''}): ${describe(door, part, sim)}`);
        const options = { door, hw: wiring.hw, tamper: wiring.tamper, pulseMs: o.ms, report, signal: aborter.signal };
        if (part === 'inputs') {
          report('Watching; Ctrl-C stops (the relay stays locked). Keys are shown as pressed: use test presses, not a real PIN.');
          await watchInputs(options);
        } else if ((await pulseOutput(part, options)) === 'aborted' && signalled) {
          process.exitCode = SIGNAL_EXIT[signalled] ?? 1;
        }
        report(signalled ? `${signalled}: stopped; relay locked` : 'done; relay locked');
      } finally {
        stopTyping();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        lockOnExit();
        wiring.close();
        process.off('exit', lockOnExit);
      }
    });
}

/** The door, after checking that the part asked for is wired (a bad request is refused before any line is claimed). */
function checkRequest(config: Config, part: WiringPart, id: number, ms: number, sim: boolean): DoorConfig {
  const index = config.doors.findIndex((d) => d.id === id);
  const door = config.doors[index];
  if (!door) throw notFound('door', `no door ${id} (doors: ${config.doors.map((d) => d.id).join(', ')})`);
  if (ms < 50 || ms > 10_000) throw invalid('ms', 'must be 50 to 10000');
  if (part === 'relay' && ms > door.max_unlock_ms) throw invalid('ms', `must not exceed the door's max_unlock_ms (${door.max_unlock_ms})`);
  if (sim) return door;
  const hw = door.hardware;
  const path = `doors[${index}].hardware`;
  if (!hw)
    throw invalid(
      path,
      `is missing: door ${id} (${door.name}) has no wiring in the config (examples in hardware/), or test the simulated door with --sim`,
    );
  if (part === 'led' && !hw.led) throw invalid(`${path}.led`, `is not set: door ${id} has no LED wired in the config`);
  if (part === 'buzzer' && !hw.buzzer) throw invalid(`${path}.buzzer`, `is not set: door ${id} has no buzzer wired in the config`);
  if (part === 'inputs' && !hw.contact && !hw.rex && !hw.tamper && !hw.wiegand && !hw.serial) {
    throw invalid(path, `has no inputs: door ${id} has no contact, rex, tamper, wiegand or serial in the config`);
  }
  return door;
}

/** A running daemon (the data-dir lock is held) owns the door's lines, and would fight the test for the relay. */
async function refuseWhileRunning(dataDir: string): Promise<void> {
  const holder = await InstanceLock.holder(dataDir);
  if (holder)
    throw new DaemonRunningError(
      `keypadd is running on ${dataDir}${holder.pid ? ` (PID ${holder.pid})` : ''} and drives the door's lines: ${STOP_IT}`,
    );
}

/** Claims the door's lines as the daemon does (drivers/wiring: the relay first, at its locked level), no database. */
async function openWiring(config: Config, door: DoorConfig, sim: boolean): Promise<Wiring> {
  if (sim) {
    // The simulated relay keeps its level in the daemon's relay file, so the test moves what `keypadd run --sim` would.
    const hw = new SimDoorHardware(new SimRelayLine(simRelayFile(config.data_dir, door.id), (m) => process.stderr.write(`warning: ${m}\n`)));
    lockRelay(door, hw.relay);
    return { hw, tamper: hw.tamper, sim: hw, close: () => hw.close() };
  }
  const { GpioDoorHardware, claimRelay } = await import('../../drivers/gpio-door.js');
  const port = await openGpio(config, { everyDoorWired: false });
  try {
    const hw = new GpioDoorHardware(port, door, door.hardware!, claimRelay(port, door));
    lockRelay(door, hw.relay);
    return { hw, tamper: hw.tamper, sim: null, close: () => (hw.close(), port.close()) };
  } catch (err) {
    port.close();
    throw err;
  }
}

/** What is about to be tested, with the pins, so a wrong number in the config shows before anything moves. */
function describe(door: DoorConfig, part: WiringPart, sim: boolean): string {
  const hw = door.hardware;
  const pin = (line: { pin: number; active_low: boolean } | undefined | null) =>
    sim || !line ? '' : ` on BCM ${line.pin}${line.active_low ? ' (active low)' : ''}`;
  const lock = door.fail_safe ? 'fail_safe: a maglock, energised = locked' : 'a fail-secure strike, energised = unlocked';
  if (part === 'relay') return `relay${pin(hw?.relay)} (${lock})`;
  if (part === 'led' || part === 'buzzer') return `${part === 'led' ? 'LED' : 'buzzer'}${pin(hw?.[part])}; the relay stays locked`;
  if (sim) return 'door contact, REX, tamper, the simulated Wiegand reader';
  const parts = [
    hw?.contact && `door contact${pin(hw.contact)}`,
    hw?.rex && `REX${pin(hw.rex)}`,
    hw?.tamper && `tamper${pin(hw.tamper)}`,
    hw?.wiegand && `Wiegand D0 BCM ${hw.wiegand.d0} / D1 BCM ${hw.wiegand.d1}`,
    hw?.serial && `serial keypad ${hw.serial.path}`,
  ];
  return parts.filter(Boolean).join(', ');
}

/** The simulated door's inputs, driven from stdin lines; returns the function that stops reading. */
function typeIntoSimDoor(hw: SimDoorHardware, report: (line: string) => void): () => void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [verb, ...rest] = line.trim().split(/\s+/);
    const arg = rest.join(' ');
    try {
      if (verb === 'open' || verb === 'close') hw.setDoor(verb === 'open');
      else if (verb === 'rex') hw.pressRex();
      else if (verb === 'tamper' && (arg === 'on' || arg === 'off')) hw.tamper.set(arg === 'on');
      else if (verb === 'keys' && arg) hw.typeKeys(arg);
      else if (verb === 'card' && arg) {
        const card = parseCardNumber(arg);
        if (!card.ok) throw new Error(`card number: ${card.message}`);
        hw.presentCard(card.number);
      } else if (verb === 'wiegand' && arg) {
        const frames = arg.split(/[\s,]+/).map(parseBitString);
        if (frames.some((f) => f === null)) throw new Error('bits: frames of 0 and 1, at most 64 bits each');
        hw.sendWiegand(frames as number[][]);
      } else if (verb) throw new Error('type open, close, rex, tamper on|off, card N, keys 12#, or wiegand BITS');
    } catch (err) {
      report(`? ${(err as Error).message}`);
    }
  });
  return () => lines.close();
}
