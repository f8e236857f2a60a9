/**
 * The simulated door: the same DoorHardware contract as the Pi drivers, plus controls for tests, the terminal
 * keypad and `keypadd sim`: type keys, present a card, send raw Wiegand bits, open the door, press REX, trip the
 * tamper switch; and what the outputs did. Cards and Wiegand bits go through the real encoder, a simulated GPIO
 * port and the real Wiegand reader and decoder, as they would on a Pi.
 */
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isKey, type Key } from '../../core/key-collector.js';
import { DEFAULT_WIEGAND } from '../../core/wiegand.js';
import { encodeCardNumber, toPulses } from '../../core/wiegand-encoder.js';
import { InputEvents, Listeners, type DoorHardware, type HardwareStatus, type InputLine, type OutputLine } from '../door-hardware.js';
import { SimGpioPort } from '../gpio/sim-port.js';
import { WiegandReader } from '../wiegand/wiegand-reader.js';

export class SimOutput implements OutputLine {
  energised = false;
  /** Every write, in order, with the time it happened (ms since start of the process). */
  readonly history: { energised: boolean; at: number }[] = [];

  write(energised: boolean): void {
    this.energised = energised;
    this.history.push({ energised, at: performance.now() });
    if (this.history.length > 1000) this.history.splice(0, 500);
  }
}

/**
 * Where a simulated relay keeps its level between processes, as a sysfs GPIO value file does on a Pi: a line keeps
 * the level a dead process left it at, which is what makes relay handling across crashes and restarts testable.
 * The file holds "1" (energised) or "0".
 */
export const simRelayFile = (dataDir: string, doorId: number) => join(dataDir, 'sim-gpio', `door${doorId}-relay`);

/**
 * A simulated relay whose level outlives the process (see simRelayFile). Writes are small and not fsynced, and go to
 * a file kept open, over the same two bytes: a sysfs value write on a Pi touches no disk, and a truncate or mkdir per
 * write made the main thread wait in the kernel behind the database's fsyncs during a sync (bench scenario 2).
 */
export class SimRelayLine extends SimOutput {
  private warned = false;
  private fd: number | null = null;

  constructor(
    private readonly file: string,
    private readonly onError: (message: string) => void,
  ) {
    super();
  }

  override write(energised: boolean): void {
    super.write(energised);
    try {
      if (this.fd === null) {
        mkdirSync(dirname(this.file), { recursive: true });
        // No O_TRUNC: the file always holds the last two bytes written, never nothing.
        this.fd = openSync(this.file, constants.O_WRONLY | constants.O_CREAT, 0o644);
      }
      writeSync(this.fd, energised ? '1\n' : '0\n', 0);
    } catch (err) {
      this.reopenNextTime();
      // A read-only or full data dir: the in-process level is still right; say once that the file is not.
      if (!this.warned) this.onError(`simulated relay: cannot write ${this.file}: ${(err as Error).message}`);
      this.warned = true;
    }
  }

  private reopenNextTime(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already unusable: nothing more to release.
    }
    this.fd = null;
  }
}

export class SimInput implements InputLine {
  private readonly changes = new Listeners<boolean>();

  constructor(public active: boolean | null) {}

  onChange(listener: (active: boolean) => void): () => void {
    return this.changes.add(listener);
  }

  set(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.changes.emit(active);
  }
}

/** The simulated reader's data lines, as the default hardware/ pin map wires them. */
export const SIM_WIEGAND = { d0: 5, d1: 6 };

export class SimDoorHardware implements DoorHardware {
  readonly relay: SimOutput;
  readonly led = new SimOutput();
  readonly buzzer = new SimOutput();
  /** The simulated door starts closed, REX released. */
  readonly contact = new SimInput(false);
  readonly rex = new SimInput(false);
  readonly tamper = new SimInput(false);
  readonly gpio = new SimGpioPort();
  readonly wiegand = new WiegandReader({
    name: 'simulated Wiegand reader',
    ...SIM_WIEGAND,
    activeLow: true,
    decoder: DEFAULT_WIEGAND,
    maxFramesPerSecond: 50,
  });
  /** Keys typed straight in, and what the simulated Wiegand reader decodes, as one source. */
  private readonly inputs = new InputEvents();
  readonly keypad = this.inputs;
  readonly reader = this.inputs;
  closed = false;
  private readonly extraReaders: WiegandReader[] = [];

  /** `relay`: a line that outlives the process (SimRelayLine) for the daemon; in memory by default. */
  constructor(relay: SimOutput = new SimOutput()) {
    this.relay = relay;
    this.wiegand.attach(this.gpio);
    this.inputs.forward(this.wiegand);
    this.tamper.onChange((on) => this.inputs.statuses.emit({ type: on ? 'tamper' : 'tamper_cleared', source: 'simulated tamper switch' }));
  }

  onStatus(l: (s: HardwareStatus) => void): () => void {
    return this.inputs.onStatus(l);
  }

  /** Types a key sequence such as "1234#" straight into the keypad; refuses anything that is not a keypad key. */
  typeKeys(sequence: string): void {
    const keys = [...sequence];
    const bad = keys.find((k) => !isKey(k));
    if (bad !== undefined) throw new Error(`keys: "${bad}" is not a keypad key (0-9, *, #)`);
    for (const k of keys) this.inputs.keys.emit(k as Key);
  }

  /**
   * Sends Wiegand frames over the simulated data lines at `intervalMs` per bit, as a reader would, and ends the last
   * frame; the decoded keys or card reach the door before this returns.
   */
  sendWiegand(frames: number[][], intervalMs = 1): void {
    const start = performance.now();
    const pulses = toPulses(frames, { startMs: start, intervalMs, frameGapMs: DEFAULT_WIEGAND.gapMs * 2 });
    for (const p of pulses) this.gpio.pulse(p.line === 0 ? SIM_WIEGAND.d0 : SIM_WIEGAND.d1, p.tMs);
    this.wiegand.flushAt((pulses.at(-1)?.tMs ?? start) + DEFAULT_WIEGAND.gapMs);
  }

  /** A card at the reader: a 26-, 34- or 37-bit frame, the shortest that holds the number. */
  presentCard(cardNumber: string): void {
    const n = BigInt(cardNumber);
    const format = n < 1n << 24n ? 'h10301' : n < 1n << 32n ? 'h34' : n < 1n << 35n ? 'h10304' : null;
    if (format === null) throw new Error(`card number: ${cardNumber} does not fit a 37-bit Wiegand frame`);
    this.sendWiegand([encodeCardNumber(format, n)]);
  }

  setDoor(open: boolean): void {
    this.contact.set(open);
  }

  pressRex(): void {
    this.rex.set(true);
    this.rex.set(false);
  }

  /**
   * A real reader beside the simulated lines (a gpiod Wiegand reader, which needs no sysfs): what it reads reaches
   * the door like the simulated reader's frames, and it is closed with the door.
   */
  addReader(reader: WiegandReader): void {
    this.inputs.forward(reader);
    this.extraReaders.push(reader);
  }

  close(): void {
    this.closed = true;
    this.wiegand.close();
    for (const reader of this.extraReaders) reader.close();
  }
}
