/**
 * From the configuration to claimed hardware, relays first. The daemon and `keypadd lock-relays` (the unit's
 * ExecStopPost=) both start here, so a relay is driven to its locked level the same way whoever claims it.
 */
import type { Config, DoorConfig } from '../config/schema.js';
import type { OutputLine } from './door-hardware.js';
import type { GpioPort } from './gpio/port.js';
import { SimRelayLine, simRelayFile } from './sim/sim-door.js';

/** The configuration cannot drive real hardware (a door without wiring). Exit status 2, like other config errors. */
export class HardwareConfigError extends Error {
  override name = 'HardwareConfigError';
}

/**
 * The Pi's GPIO through onoff, after checking that every door is wired in the config (the daemon runs wired doors
 * or the simulated door, never a mix; `lock-relays` drives whichever are wired). onoff is loaded only here.
 */
export async function openGpio(config: Config, opts: { everyDoorWired: boolean } = { everyDoorWired: true }): Promise<GpioPort> {
  const unwired = config.doors.filter((d) => !d.hardware);
  if (opts.everyDoorWired && unwired.length > 0) {
    throw new HardwareConfigError(
      `${unwired.map((d) => `door ${d.id} (${d.name})`).join(', ')} has no hardware section: describe its wiring in the config ` +
        `(examples in hardware/), or run the simulated door with --sim`,
    );
  }
  const g = config.gpio;
  const { OnoffPort, loadOnoff } = await import('./gpio/onoff-port.js');
  return new OnoffPort(await loadOnoff(), g.sysfs_root, g.chip);
}

/** A door's relay and the level that locks it: energised for a fail-safe lock, de-energised otherwise. */
export interface ClaimedRelay {
  door: DoorConfig;
  line: OutputLine;
}

/** Drives a door's relay line to its locked level. */
export function lockRelay(door: DoorConfig, line: OutputLine): void {
  line.write(door.fail_safe);
}

/**
 * Claims every door's relay at its locked level: on GPIO (`port`), or the simulated door's relay files in the data
 * dir (`port` null). Claiming a GPIO relay drives it locked as it is claimed; a simulated one is written locked.
 */
export async function claimRelays(config: Config, port: GpioPort | null, onSimError: (message: string) => void): Promise<Map<number, ClaimedRelay>> {
  const relays = new Map<number, ClaimedRelay>();
  const { claimRelay } = port === null ? { claimRelay: null } : await import('./gpio-door.js');
  for (const door of config.doors) {
    if (port === null || claimRelay === null) {
      const line = new SimRelayLine(simRelayFile(config.data_dir, door.id), onSimError);
      relays.set(door.id, { door, line });
      lockRelay(door, line);
    } else {
      relays.set(door.id, { door, line: claimRelay(port, door) });
    }
  }
  return relays;
}

/** ESPHome's dump_config: how each door is wired, in one line, for the installer reading the journal. */
export function describeWiring(door: DoorConfig, sim: boolean): string {
  const wires = door.hardware;
  if (sim || !wires) return `door ${door.id} (${door.name}) simulated`;
  const parts = [`relay BCM ${wires.relay.pin}${wires.relay.active_low ? ' active-low' : ''}${door.fail_safe ? ' fail-safe' : ''}`];
  if (wires.wiegand) parts.push(`Wiegand D0 ${wires.wiegand.d0} D1 ${wires.wiegand.d1}`);
  if (wires.serial) parts.push(`serial ${wires.serial.path} (${wires.serial.protocol})`);
  for (const [name, line] of [
    ['contact', wires.contact],
    ['REX', wires.rex],
    ['tamper', wires.tamper],
    ['LED', wires.led],
    ['buzzer', wires.buzzer],
  ] as const) {
    if (line) parts.push(`${name} BCM ${line.pin}`);
  }
  return `door ${door.id} (${door.name}) ${parts.join(', ')}`;
}
