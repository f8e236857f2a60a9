/**
 * A door wired to GPIO (and optionally a serial keypad), from its `hardware` section. Keys and cards from the
 * Wiegand reader and the serial keypad reach the door as one keypad and one card reader.
 */
import type { DoorConfig } from '../config/schema.js';
import { InputEvents, type DoorHardware, type HardwareStatus, type InputLine, type OutputLine } from './door-hardware.js';
import { debouncedInput, type GpioPort } from './gpio/port.js';
import { SerialKeypad } from './serial/serial-keypad.js';
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

  constructor(
    private readonly port: GpioPort,
    door: DoorConfig,
    hw: Hardware,
  ) {
    const name = (part: string) => `door ${door.id} ${part}`;
    // The relay first: it is driven to its inactive level as it is claimed.
    this.relay = port.output(hw.relay.pin, { name: name('relay'), activeLow: hw.relay.active_low });
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

export function wiegandReader(port: GpioPort, name: string, w: NonNullable<Hardware['wiegand']>): WiegandReader {
  const reader = new WiegandReader({
    name,
    d0: w.d0,
    d1: w.d1,
    activeLow: w.active_low,
    decoder: { gapMs: w.gap_ms, formats: w.formats, rawLengths: w.raw_lengths, starValue: w.star_value, hashValue: w.hash_value },
    maxFramesPerSecond: w.max_frames_per_second,
  });
  reader.attach(port);
  return reader;
}
