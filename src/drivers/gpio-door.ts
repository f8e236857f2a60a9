/**
 * A door wired to GPIO (and optionally a serial keypad), from its `hardware` section. Keys and cards from the
 * Wiegand reader and the serial keypad reach the door as one keypad and one card reader.
 */
import type { DoorConfig } from '../config/schema.js';
import { InputEvents, type DoorHardware, type HardwareStatus, type InputLine, type OutputLine } from './door-hardware.js';
import { debouncedInput, type GpioPort } from './gpio/port.js';
import { SerialKeypad } from './serial/serial-keypad.js';
import { GpiodWiegandReader } from './wiegand/gpiod-wiegand.js';
import { WiegandReader } from './wiegand/wiegand-reader.js';

type Hardware = NonNullable<DoorConfig['hardware']>;

export class GpioDoorHardware implements DoorHardware {
  readonly relay: OutputLine;
  readonly led: OutputLine | null;
  readonly buzzer: OutputLine | null;
  readonly contact: InputLine | null;
  readonly rex: InputLine | null;
  /** Reported to the door as tamper statuses; kept for `keypadd test inputs`, which shows its state at rest too. */
  readonly tamper: InputLine | null;
  readonly wiegand: WiegandReader | null;
  readonly serial: SerialKeypad | null;
  /** Keys and cards from the Wiegand reader and the serial keypad, and every status, as one source. */
  private readonly inputs = new InputEvents();
  readonly keypad = this.inputs;
  readonly reader = this.inputs;

  /** `relay` is the door's relay line, claimed before everything else by claimRelay(). */
  constructor(
    private readonly port: GpioPort,
    door: DoorConfig,
    hw: Hardware,
    relay: OutputLine,
  ) {
    const name = (part: string) => `door ${door.id} ${part}`;
    this.relay = relay;
    this.led = hw.led ? port.output(hw.led.pin, { name: name('LED'), activeLow: hw.led.active_low }) : null;
    this.buzzer = hw.buzzer ? port.output(hw.buzzer.pin, { name: name('buzzer'), activeLow: hw.buzzer.active_low }) : null;
    const input = (part: string, c: Hardware['contact']) =>
      c ? debouncedInput(port, c.pin, { name: name(part), activeLow: c.active_low, debounceMs: c.debounce_ms }) : null;
    this.contact = input('door contact', hw.contact);
    this.rex = input('REX', hw.rex);
    const tamper = input('tamper', hw.tamper);
    this.tamper = tamper;
    tamper?.onChange((on) => this.inputs.statuses.emit({ type: on ? 'tamper' : 'tamper_cleared', source: name('tamper') }));
    this.wiegand = hw.wiegand ? wiegandReader(port, name('Wiegand reader'), hw.wiegand) : null;
    this.serial = hw.serial
      ? new SerialKeypad({
          name: name('serial keypad'),
          path: hw.serial.path,
          baudRate: hw.serial.baud_rate,
          protocol: hw.serial.protocol,
          cardPattern: hw.serial.card_pattern ? new RegExp(hw.serial.card_pattern) : null,
          maxLineLength: hw.serial.max_line,
          maxBackoffMs: 30_000,
        })
      : null;
    for (const source of [this.wiegand, this.serial]) if (source) this.inputs.forward(source);
    this.serial?.start();
  }

  onStatus(l: (s: HardwareStatus) => void): () => void {
    return this.inputs.onStatus(l);
  }

  close(): void {
    this.wiegand?.close();
    this.serial?.close();
  }
}

/**
 * Claims a door's relay line at its locked level: de-energised, or energised for a fail-safe lock. Called for every
 * door as soon as GPIO is open, before storage or anything else that could fail, so that a restart after a crash
 * (the line keeps the level the dead process left) ends with every relay locked whatever fails next.
 */
export function claimRelay(port: GpioPort, door: DoorConfig): OutputLine {
  const r = door.hardware!.relay;
  return port.output(r.pin, { name: `door ${door.id} relay`, activeLow: r.active_low, energised: door.fail_safe });
}

/** A door's Wiegand reader on the backend its config names: onoff edges from `port`, or gpiomon's (which needs no port). */
export function wiegandReader(port: GpioPort | null, name: string, w: NonNullable<Hardware['wiegand']>): WiegandReader {
  const options = {
    name,
    d0: w.d0,
    d1: w.d1,
    activeLow: w.active_low,
    decoder: { gapMs: w.gap_ms, formats: w.formats, rawLengths: w.raw_lengths, starValue: w.star_value, hashValue: w.hash_value },
    maxFramesPerSecond: w.max_frames_per_second,
  };
  if (w.backend === 'gpiod') return new GpiodWiegandReader({ ...options, chip: w.gpiod_chip, gpiomonPath: w.gpiomon_path });
  if (port === null) throw new Error(`${name}: the onoff backend needs the GPIO port`);
  const reader = new WiegandReader(options);
  reader.attach(port);
  return reader;
}
