/**
 * The control socket's `sim_*` requests: drive a running simulated door from another shell (`keypadd sim ...`).
 * Input checks live here, beside the requests they check. A key entry is answered once the door has shown every
 * result it caused (a wrong guess is shown only once stored), with what each entry came to.
 */
import { parseCardNumber } from '../core/card-number.js';
import { parseBitString } from '../core/wiegand-encoder.js';
import type { DoorController, EntryOutcome } from '../door/door-controller.js';
import type { DoorHardware } from '../drivers/door-hardware.js';
import { SimDoorHardware } from '../drivers/sim/sim-door.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

export interface SimDoor {
  controller: DoorController;
  hw: DoorHardware;
}

export async function handleSim(req: ControlRequest, doors: ReadonlyMap<number, SimDoor>): Promise<ControlResponse> {
  if (!('door' in req)) return { ok: false, error: `unknown command "${(req as { cmd: string }).cmd}"` };
  const door = doors.get(Number(req.door));
  if (!door) return { ok: false, error: `door: no door ${String(req.door)} (doors: ${[...doors.keys()].join(', ')})` };
  const hw = door.hw;
  if (!(hw instanceof SimDoorHardware)) return { ok: false, error: `door ${req.door} is not simulated` };
  const outcomes: EntryOutcome[] = [];
  const stopListening = door.controller.onOutcome((o) => outcomes.push(o));
  try {
    const refused = drive(req, hw);
    if (refused) return { ok: false, error: refused };
    await door.controller.settled();
  } finally {
    stopListening();
  }
  return { ok: true, result: { ...door.controller.status(), outcomes } };
}

/** Acts on the simulated hardware; returns why a request is refused, or null. */
function drive(req: ControlRequest, hw: SimDoorHardware): string | null {
  switch (req.cmd) {
    case 'sim_key':
      hw.typeKeys(String(req.keys));
      return null;
    case 'sim_card': {
      const n = parseCardNumber(String(req.number));
      if (!n.ok) return `card number: ${n.message}`;
      hw.presentCard(n.number);
      return null;
    }
    case 'sim_door':
      hw.setDoor(req.open === true);
      return null;
    case 'sim_rex':
      hw.pressRex();
      return null;
    case 'sim_wiegand': {
      const frames = String(req.bits)
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(parseBitString);
      if (frames.length === 0 || frames.some((f) => f === null)) return 'bits: frames of 0 and 1, at most 64 bits each, separated by spaces';
      const interval = Number(req.interval_ms ?? 1);
      if (!(interval >= 0.2 && interval <= 20)) return 'interval_ms: must be 0.2 to 20';
      hw.sendWiegand(frames as number[][], interval);
      return null;
    }
    case 'sim_tamper':
      hw.tamper.set(req.on === true);
      return null;
    case 'sim_hang': {
      // A hung daemon, for the watchdog: the main thread does nothing else for this long.
      const until = performance.now() + Math.min(Number(req.ms) || 0, 30_000);
      while (performance.now() < until);
      return null;
    }
    case 'sim_crash':
      // A bug in the daemon, for the fatal-error path: thrown outside any handler, as an uncaught exception.
      setImmediate(() => {
        throw new Error('simulated crash (keypadd sim crash)');
      });
      return null;
    default:
      return `unknown command "${(req as { cmd: string }).cmd}"`;
  }
}
