/**
 * The door tests' clock (a fake: there is no settable system clock in a unit test): wall and monotonic time move
 * together under `advance`, which also runs vitest's fake timers; a test moves `wall` alone to model a Pi whose wall
 * clock is corrected, and `isTrusted` to model an untrusted clock.
 */
import { vi } from 'vitest';
import type { Clock } from '../../src/drivers/clock.js';

export class ManualClock implements Clock {
  wall: number;
  mono = 1_000;
  isTrusted = true;
  constructor(startIso: string) {
    this.wall = Date.parse(startIso);
  }
  wallMs = () => this.wall;
  monoMs = () => this.mono;
  trusted = () => this.isTrusted;
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
    vi.advanceTimersByTime(ms);
  }
}
