/**
 * The contract between a door and whatever drives it: the simulated door here, GPIO/Wiegand/serial drivers on a
 * Pi. Each part is optional except the relay. Listeners are called on the main thread, in order, and must not
 * block; a listener that throws is the caller's bug and is not retried.
 */
import type { Key } from '../core/key-collector.js';

/** A digital output: relay coil, reader LED, buzzer. `true` energises it (active level is the driver's concern). */
export interface OutputLine {
  write(energised: boolean): void;
  readonly energised: boolean;
}

/** A debounced digital input: door contact (active = open), REX button (active = pressed), tamper. */
export interface InputLine {
  /** Current state; null until the driver has read it. */
  readonly active: boolean | null;
  /** Called on each debounced change. Returns an unsubscribe function. */
  onChange(listener: (active: boolean) => void): () => void;
}

export interface Keypad {
  onKey(listener: (key: Key) => void): () => void;
}

export interface CardReader {
  /** Called with the decoded card number as DoorFlow stores it (decimal, no leading zeros). */
  onCard(listener: (cardNumber: string) => void): () => void;
}

/** Something the door should record about its hardware. */
export type HardwareStatus =
  | { type: 'read_error'; source: string; reason: string; count: number; bits?: number }
  | { type: 'reader_offline' | 'reader_online'; source: string; reason?: string }
  | { type: 'tamper' | 'tamper_cleared'; source: string };

export interface DoorHardware {
  relay: OutputLine;
  led: OutputLine | null;
  buzzer: OutputLine | null;
  contact: InputLine | null;
  rex: InputLine | null;
  keypad: Keypad | null;
  reader: CardReader | null;
  /** Hardware conditions to record as events (read errors, a reader gone or back, tamper). Optional. */
  onStatus?(listener: (status: HardwareStatus) => void): () => void;
  /** Releases the lines. The door has driven the relay locked before this is called. */
  close(): void;
}

/** Small fan-out helper for driver implementations. */
export class Listeners<T> {
  private readonly list: ((value: T) => void)[] = [];

  add(listener: (value: T) => void): () => void {
    this.list.push(listener);
    return () => {
      const i = this.list.indexOf(listener);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  emit(value: T): void {
    for (const l of [...this.list]) l(value);
  }
}

/**
 * What an input source reports, each to its own listeners: keys, cards, and hardware status. Drivers (a Wiegand
 * reader, a serial keypad) extend it; a door holds one and forwards every source into it, so the door sees one
 * keypad and one card reader whatever is wired.
 */
export class InputEvents implements Keypad, CardReader {
  readonly keys = new Listeners<Key>();
  readonly cards = new Listeners<string>();
  readonly statuses = new Listeners<HardwareStatus>();

  onKey(listener: (key: Key) => void): () => void {
    return this.keys.add(listener);
  }

  onCard(listener: (cardNumber: string) => void): () => void {
    return this.cards.add(listener);
  }

  onStatus(listener: (status: HardwareStatus) => void): () => void {
    return this.statuses.add(listener);
  }

  /** Passes on everything `source` reports. */
  forward(source: InputEvents): void {
    source.onKey((k) => this.keys.emit(k));
    source.onCard((c) => this.cards.emit(c));
    source.onStatus((st) => this.statuses.emit(st));
  }
}
