/**
 * keypadd lock-relays: drives every door's relay to its locked level and leaves it there. The unit runs it as
 * ExecStopPost=, after the daemon has gone however it went (a crash, the watchdog, OOM, a start that failed), so that
 * even a crash loop systemd gives up on ends with every relay locked. Wired doors are driven on GPIO; unwired ones (and
 * every door with --sim, as `run --sim` drives them) are simulated, and their relay files are written locked. Refused
 * while a daemon runs: its relays are its own.
 */
import type { Command } from 'commander';
import { InstanceLock } from '../../control/instance-lock.js';
import { lockRelay, openGpio } from '../../drivers/wiring.js';
import { SimRelayLine, simRelayFile } from '../../drivers/sim/sim-door.js';
import { ControlRefusedError } from '../control.js';
import { print } from '../output.js';
import { withSession } from '../session.js';

export function registerLockRelays(program: Command): void {
  program
    .command('lock-relays')
    .description('drive every door relay to its locked level (the unit runs this after the daemon stops, however it stopped)')
    .option('--sim', "the simulated door's relays, as `run --sim` drives them (whatever the config wires)")
    .action(
      withSession(async (s, o: { sim?: boolean }) => {
        const { config } = s.config();
        const holder = await InstanceLock.holder(config.data_dir);
        if (holder !== null)
          throw new ControlRefusedError(
            `keypadd is running on ${config.data_dir}${holder.pid ? ` (PID ${holder.pid})` : ''} and drives its own relays`,
          );
        const wired = o.sim ? [] : config.doors.filter((d) => d.hardware);
        const port = wired.length > 0 ? await openGpio(config, { everyDoorWired: false }) : null;
        const done: { door: number; name: string; relay: 'locked'; line: string }[] = [];
        try {
          for (const door of config.doors) {
            if (door.hardware && port && !o.sim) {
              const { claimRelay } = await import('../../drivers/gpio-door.js');
              claimRelay(port, door); // claimed at its locked level, which it keeps after exit
              done.push({
                door: door.id,
                name: door.name,
                relay: 'locked',
                line: `GPIO BCM ${door.hardware.relay.pin}${door.fail_safe ? ', energised (fail-safe)' : ''}`,
              });
            } else {
              const file = simRelayFile(config.data_dir, door.id);
              const failed: string[] = [];
              lockRelay(door, new SimRelayLine(file, (m) => failed.push(m)));
              if (failed.length > 0) throw new Error(failed[0]);
              done.push({ door: door.id, name: door.name, relay: 'locked', line: `simulated (${file})` });
            }
          }
        } finally {
          port?.close();
        }
        print(s, done, () => done.map((d) => `door ${d.door} (${d.name}): relay locked (${d.line})`).join('\n'));
      }),
    );
}
