/**
 * `keypadd test`: an installer checks each wire without a credential. An output is pulsed once (the relay unlocks
 * briefly and is driven locked again), or the inputs are watched live and every change, key, card and read error is
 * printed as it happens. Works on any DoorHardware: GPIO on a Pi, or the simulated door.
 *
 * The relay is driven locked before anything else and on every way out: the end of the pulse, an abort (Ctrl-C,
 * SIGTERM) and an error. The caller also locks it from its process 'exit' handler (lockRelay).
 */
import { lockRelay } from '../drivers/wiring.js';
import type { DoorConfig } from '../config/schema.js';
import type { DoorHardware, InputLine } from '../drivers/door-hardware.js';

export type WiringPart = 'relay' | 'led' | 'buzzer' | 'inputs';
export const WIRING_PARTS: readonly WiringPart[] = ['relay', 'led', 'buzzer', 'inputs'];

export interface WiringTestOptions {
  door: DoorConfig;
  hw: DoorHardware;
  /** How long an output stays energised (the relay: unlocked). */
  pulseMs: number;
  /** One line of what happened, as it happens. */
  report: (line: string) => void;
  /** Ends the pulse early (relay locked at once) or ends the watch. */
  signal: AbortSignal;
  /** The simulated tamper switch, or GPIO's, when wired: not part of the door contract. */
  tamper?: InputLine | null;
  /** Monotonic ms, for the "+1.234 s" stamps; injectable so tests need not depend on speed. */
  now?: () => number;
}

/** Drives the relay to the door's locked level: de-energised for a strike, energised for a fail-safe maglock. */

function relayState(door: DoorConfig, energised: boolean): string {
  const locked = energised === door.fail_safe;
  return `${locked ? 'locked' : 'UNLOCKED'} (${energised ? 'energised' : 'de-energised'})`;
}

/** Pulses the relay, LED or buzzer once. Resolves "aborted" when the signal cut the pulse short. */
export async function pulseOutput(part: Exclude<WiringPart, 'inputs'>, o: WiringTestOptions): Promise<'done' | 'aborted'> {
  const { door, hw, report } = o;
  // Reported after the write returns: the line says what the driver was told, not what was meant.
  const relay = (energised: boolean, why = '') => {
    hw.relay.write(energised);
    report(`relay: ${relayState(door, energised)}${why}`);
  };
  relay(door.fail_safe);
  if (part === 'relay') {
    try {
      if (o.signal.aborted) return 'aborted';
      relay(!door.fail_safe, ` for ${o.pulseMs} ms`);
      return await pause(o.pulseMs, o.signal);
    } finally {
      relay(door.fail_safe);
    }
  }
  const line = part === 'led' ? hw.led : hw.buzzer;
  if (!line) throw new Error(`door ${door.id} has no ${part}`);
  const name = part === 'led' ? 'LED' : 'buzzer';
  try {
    if (o.signal.aborted) return 'aborted';
    line.write(true);
    report(`${name}: on for ${o.pulseMs} ms`);
    return await pause(o.pulseMs, o.signal);
  } finally {
    line.write(false);
    report(`${name}: off`);
  }
}

/** Prints each input change, key, card and reader problem until the signal ends the watch. */
export async function watchInputs(o: WiringTestOptions): Promise<void> {
  const { door, hw, report } = o;
  const now = o.now ?? (() => performance.now());
  const start = now();
  const stamp = (text: string) => report(`+${((now() - start) / 1000).toFixed(3)} s  ${text}`);
  lockRelay(door, hw.relay);
  hw.led?.write(false);
  hw.buzzer?.write(false);
  report(`relay: ${relayState(door, door.fail_safe)}`);

  const inputs: [string, InputLine | null | undefined, (active: boolean) => string][] = [
    ['door contact', hw.contact, (open) => (open ? 'OPEN' : 'closed')],
    ['REX', hw.rex, (pressed) => (pressed ? 'PRESSED' : 'released')],
    ['tamper', o.tamper, (tampered) => (tampered ? 'TAMPERED' : 'ok')],
  ];
  const unsubscribe: (() => void)[] = [];
  for (const [name, line, say] of inputs) {
    if (!line) continue;
    report(`${name}: ${line.active === null ? 'unknown' : say(line.active)}`);
    unsubscribe.push(line.onChange((active) => stamp(`${name}: ${say(active)}`)));
  }
  // Keys are shown as pressed: this is for test presses (which key the reader sends as * and #), not real PINs.
  if (hw.keypad) unsubscribe.push(hw.keypad.onKey((key) => stamp(`key ${key}`)));
  if (hw.reader) unsubscribe.push(hw.reader.onCard((card) => stamp(`card ${card} (keypadd card add --person ID --number ${card})`)));
  if (hw.onStatus) {
    unsubscribe.push(
      hw.onStatus((st) => {
        if (st.type === 'read_error') stamp(`read error from ${st.source}: ${st.reason}${st.bits ? ` (${st.bits} bits)` : ''}, ${st.count}×`);
        else if (st.type === 'reader_offline') stamp(`${st.source}: offline${st.reason ? ` (${st.reason})` : ''}`);
        else if (st.type === 'reader_online') stamp(`${st.source}: online`);
        // tamper / tamper_cleared: shown from the tamper line itself, above.
      }),
    );
  }
  try {
    await pause(Infinity, o.signal);
  } finally {
    for (const off of unsubscribe) off();
    lockRelay(door, hw.relay);
  }
}

/** Waits `ms` (Infinity: until the signal), or until the signal; says which. */
function pause(ms: number, signal: AbortSignal): Promise<'done' | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    // An endless wait still needs a timer: a pending promise alone lets Node exit with the watch unfinished.
    const timer = Number.isFinite(ms) ? setTimeout(() => finish('done'), ms) : setInterval(() => undefined, 2 ** 30);
    const onAbort = () => finish('aborted');
    function finish(how: 'done' | 'aborted') {
      clearTimeout(timer);
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(how);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
