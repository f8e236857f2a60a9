/**
 * Door contact and REX. Opening the door while the relay is locked, with no grant or REX just before, is
 * door_forced_open; standing open past held_open_s is door_held_open; closing can relock at once.
 */
import { doorTimings } from '../config/policy.js';
import type { DoorConfig } from '../config/schema.js';
import type { DoorEventType } from '../core/event-types.js';
import type { Clock } from '../drivers/clock.js';
import type { DoorHardware } from '../drivers/door-hardware.js';
import type { DoorRelay } from './relay.js';

/** A lock may take a moment to re-engage; an opening this soon after relocking still counts as authorised. */
const RELOCK_GRACE_MS = 1500;

export class DoorSensors {
  private heldTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hw: DoorHardware,
    private readonly door: DoorConfig,
    private readonly relay: DoorRelay,
    private readonly clock: Clock,
    private readonly emit: (type: DoorEventType, label: string) => void,
    private readonly unlockForRex: () => void,
    /** A REX lockdown is in force: the press is refused (legal only where egress is mechanical: see the README). */
    private readonly rexLockedDown: () => boolean = () => false,
  ) {}

  get doorState(): 'open' | 'closed' | 'unknown' {
    const a = this.hw.contact?.active;
    return a === undefined || a === null ? 'unknown' : a ? 'open' : 'closed';
  }

  /** Subscribes; returns the unsubscribe functions. */
  start(): (() => void)[] {
    const subs: (() => void)[] = [];
    if (this.hw.contact) subs.push(this.hw.contact.onChange((open) => (open ? this.opened() : this.closed())));
    if (this.hw.rex) subs.push(this.hw.rex.onChange((pressed) => pressed && this.rex()));
    return subs;
  }

  stop(): void {
    clearTimeout(this.heldTimer);
  }

  private opened(): void {
    const name = this.door.name;
    const authorised = !this.relay.locked || this.clock.monoMs() - this.relay.lockedAt < RELOCK_GRACE_MS;
    if (authorised) this.emit('door_opened', `${name} opened`);
    else this.emit('door_forced_open', `${name} forced open: opened while locked, without a grant or REX`);
    clearTimeout(this.heldTimer);
    this.heldTimer = setTimeout(
      () => this.emit('door_held_open', `${name} held open longer than ${this.door.held_open_s} s`),
      doorTimings(this.door).heldOpenMs,
    );
  }

  private closed(): void {
    clearTimeout(this.heldTimer);
    this.emit('door_closed', `${this.door.name} closed`);
    // A door held unlocked (unlock mode, a shift) stays so: closing ends a momentary unlock only.
    if (this.door.relock_on_close && !this.relay.locked && !this.relay.isHeld) this.relay.lock();
  }

  private rex(): void {
    if (this.rexLockedDown()) {
      this.emit('rex_refused', `${this.door.name}: request to exit refused: REX is locked down`);
      return;
    }
    this.unlockForRex();
    this.emit('rex', `${this.door.name}: request to exit`);
  }
}
