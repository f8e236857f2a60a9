/**
 * Reader LED and buzzer patterns, distinct for grant, deny, lockout and "card read, now the PIN" so a person at the
 * door can tell them apart without a display. A new signal replaces the one playing.
 */
import type { OutputLine } from '../drivers/door-hardware.js';

export type Signal = 'idle' | 'granted' | 'denied' | 'locked_out' | 'awaiting_pin';

/** [energised, ms] steps; a pattern with `repeatFor` repeats until that many ms have passed. */
type Step = [boolean, number];
interface Pattern {
  led: Step[];
  buzzer: Step[];
}

const PATTERNS: Record<Exclude<Signal, 'idle'>, Pattern> = {
  granted: {
    led: [[true, 0]],
    buzzer: [
      [true, 150],
      [false, 0],
    ],
  },
  denied: {
    led: [
      [true, 150],
      [false, 150],
      [true, 150],
      [false, 150],
      [true, 150],
      [false, 0],
    ],
    buzzer: [
      [true, 80],
      [false, 80],
      [true, 80],
      [false, 80],
      [true, 80],
      [false, 0],
    ],
  },
  locked_out: {
    led: [
      [true, 500],
      [false, 500],
    ],
    buzzer: [
      [true, 1000],
      [false, 0],
    ],
  },
  awaiting_pin: {
    led: [
      [true, 100],
      [false, 400],
    ],
    buzzer: [
      [true, 50],
      [false, 0],
    ],
  },
};

class Player {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly line: OutputLine | null) {}

  play(steps: Step[], totalMs: number, repeat: boolean, onDone: () => void): void {
    this.cancel();
    const end = performance.now() + totalMs;
    let i = 0;
    const next = () => {
      if (i >= steps.length) {
        if (!repeat || performance.now() >= end) return this.finish(onDone);
        i = 0;
      }
      const [on, ms] = steps[i++]!;
      this.line?.write(on);
      // A final step of 0 ms holds its state until the signal's total time is up.
      const wait = ms === 0 ? Math.max(0, end - performance.now()) : ms;
      this.timer = setTimeout(next, wait);
    };
    next();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops and leaves the line off: an LED left lit at stop would read as "granted" to the next person. */
  off(): void {
    this.cancel();
    this.line?.write(false);
  }

  private finish(onDone: () => void): void {
    this.line?.write(false);
    onDone();
  }
}

export class Annunciator {
  private ledSignal: Signal = 'idle';
  private buzzerSignal: Signal = 'idle';
  private readonly led: Player;
  private readonly buzzer: Player;

  constructor(led: OutputLine | null, buzzer: OutputLine | null) {
    this.led = new Player(led);
    this.buzzer = new Player(buzzer);
  }

  /** Plays `signal` for `durationMs` (the unlock time, the lockout time, the card-and-PIN window...). */
  show(signal: Exclude<Signal, 'idle'>, durationMs: number): void {
    const p = PATTERNS[signal];
    const repeat = signal === 'locked_out' || signal === 'awaiting_pin';
    this.ledSignal = signal;
    this.buzzerSignal = signal;
    this.led.play(p.led, durationMs, repeat, () => (this.ledSignal = 'idle'));
    this.buzzer.play(p.buzzer, Math.min(durationMs, 1000), false, () => (this.buzzerSignal = 'idle'));
  }

  get state(): { led: Signal; buzzer: Signal } {
    return { led: this.ledSignal, buzzer: this.buzzerSignal };
  }

  stop(): void {
    this.led.off();
    this.buzzer.off();
  }
}
