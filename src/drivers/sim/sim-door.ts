/**
 * The simulated door: the same DoorHardware contract as the Pi drivers, plus controls for tests, the terminal
 * keypad and `keypadd sim`: type keys, present a card, open the door, press REX; and what the outputs did.
 */
import { isKey, type Key } from '../../core/key-collector.js';
import { Listeners, type DoorHardware, type InputLine, type OutputLine } from '../door-hardware.js';

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

export class SimDoorHardware implements DoorHardware {
  readonly relay = new SimOutput();
  readonly led = new SimOutput();
  readonly buzzer = new SimOutput();
  /** The simulated door starts closed, REX released. */
  readonly contact = new SimInput(false);
  readonly rex = new SimInput(false);
  private readonly keys = new Listeners<Key>();
  private readonly cards = new Listeners<string>();
  readonly keypad = { onKey: (l: (k: Key) => void) => this.keys.add(l) };
  readonly reader = { onCard: (l: (n: string) => void) => this.cards.add(l) };
  closed = false;

  /** Types a key sequence such as "1234#"; refuses anything that is not a keypad key. */
  typeKeys(sequence: string): void {
    const keys = [...sequence];
    const bad = keys.find((k) => !isKey(k));
    if (bad !== undefined) throw new Error(`keys: "${bad}" is not a keypad key (0-9, *, #)`);
    for (const k of keys) this.keys.emit(k as Key);
  }

  presentCard(cardNumber: string): void {
    this.cards.emit(cardNumber);
  }

  setDoor(open: boolean): void {
    this.contact.set(open);
  }

  pressRex(): void {
    this.rex.set(true);
    this.rex.set(false);
  }

  close(): void {
    this.closed = true;
  }
}
