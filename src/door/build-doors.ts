/**
 * Every configured door, built from its config: its hardware (the relay already claimed and locked, drivers/wiring),
 * its policies, and a controller started on them. The one place config settings become a door's runtime options.
 */
import { lockoutPolicy } from '../config/lockout-schema.js';
import { doorPinRules } from '../config/policy.js';
import type { Config } from '../config/schema.js';
import type { PersistedLockout } from '../core/lockout.js';
import type { Clock } from '../drivers/clock.js';
import type { DoorHardware } from '../drivers/door-hardware.js';
import type { GpioPort } from '../drivers/gpio/port.js';
import { SimDoorHardware } from '../drivers/sim/sim-door.js';
import type { ClaimedRelay } from '../drivers/wiring.js';
import type { Logger } from '../log.js';
import type { CredentialLookup } from '../storage/credential-lookup.js';
import type { EventSink } from '../storage/event-writer.js';
import { readerKey } from '../storage/lockout-repo.js';
import { DoorController } from './door-controller.js';
import type { CalendarSource, SiteLockdown } from './door-modes.js';
import type { PersistedDoorMode } from '../storage/door-mode-repo.js';

export interface BuiltDoor {
  controller: DoorController;
  hw: DoorHardware;
}

export interface DoorsDeps {
  config: Config;
  /** GPIO for wired doors; null for the simulated door. */
  port: GpioPort | null;
  relays: ReadonlyMap<number, ClaimedRelay>;
  clock: Clock;
  events: EventSink;
  credentials: Pick<CredentialLookup, 'lookup' | 'report'>;
  /** Lockout states to resume, by storage/lockout-repo key. */
  saved: ReadonlyMap<number, PersistedLockout>;
  log: Logger;
  /** What a door shows changed (the bus's door.changed). */
  changed: (doorId: number) => void;
  /** Shifts and holidays. */
  calendar: CalendarSource;
  site: SiteLockdown;
  /** Door modes to resume, by door id. */
  modes: ReadonlyMap<number, PersistedDoorMode>;
}

export async function buildDoors(deps: DoorsDeps): Promise<Map<number, BuiltDoor>> {
  const { config, port } = deps;
  // Loaded only for real doors: the simulated door needs neither serialport nor onoff.
  const { GpioDoorHardware } = port === null ? { GpioDoorHardware: null } : await import('../drivers/gpio-door.js');
  const doors = new Map<number, BuiltDoor>();
  for (const door of config.doors) {
    const relay = deps.relays.get(door.id)!.line;
    const hw =
      port === null || GpioDoorHardware === null
        ? await simDoorHardware(door, relay as SimDoorHardware['relay'])
        : new GpioDoorHardware(port, door, door.hardware!, relay);
    const controller = new DoorController({
      door,
      hw,
      clock: deps.clock,
      zone: config.site.time_zone,
      pinRules: doorPinRules(config, door),
      duress: config.pin_policy.duress,
      lockoutPolicy: lockoutPolicy(config.lockout),
      cardPolicy: config.lockout.cards.enabled ? lockoutPolicy(config.lockout.cards) : null,
      lookup: (kind, value) => deps.credentials.lookup(kind, value),
      events: deps.events,
      log: deps.log.child(`door${door.id}`),
      resumedLockout: deps.saved.get(door.id),
      resumedCardBackoff: deps.saved.get(readerKey(door.id)),
      onLookup: (err) => deps.credentials.report(err),
      onStateChange: () => deps.changed(door.id),
      calendar: deps.calendar,
      site: deps.site,
      resumedMode: deps.modes.get(door.id),
    });
    controller.start();
    doors.set(door.id, { controller, hw });
  }
  return doors;
}

/**
 * The simulated door; a Wiegand reader with `backend: gpiod` is still read through gpiomon beside it (it needs no
 * sysfs), so a reader on a bench, or a test's fake gpiomon, can drive the simulated door.
 */
async function simDoorHardware(door: Config['doors'][number], relay: SimDoorHardware['relay']): Promise<SimDoorHardware> {
  const hw = new SimDoorHardware(relay);
  const wiegand = door.hardware?.wiegand;
  if (wiegand?.backend === 'gpiod') {
    const { wiegandReader } = await import('../drivers/gpio-door.js');
    hw.addReader(wiegandReader(null, `door ${door.id} Wiegand reader`, wiegand));
  }
  return hw;
}
