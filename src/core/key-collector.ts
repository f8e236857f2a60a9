/**
 * Turns key presses from any keypad into PIN submissions (after ESPHome's key_collector). Pure: the caller passes
 * the monotonic time of each key and calls expire() from a timer; nothing here reads a clock or keeps a PIN longer
 * than the entry.
 */
export type Key = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#';

export const isKey = (k: string): k is Key => /^[0-9*#]$/.test(k);

export interface KeyCollectorOptions {
  /** Longest PIN the door takes; one more digit clears the entry and counts as a failed attempt. */
  maxLength: number;
  /** Silence after which a partial entry is dropped without a trace (ms). */
  timeoutMs: number;
  /** For keypads without `#`: submit as soon as this many digits are in. Null: `#` submits. */
  submitOnLength: number | null;
}

export type KeyResult =
  { kind: 'digit'; count: number } | { kind: 'submit'; pin: string } | { kind: 'cleared' } | { kind: 'overflow' } | { kind: 'ignored' };

export class KeyCollector {
  private digits = '';
  private lastKeyAt = 0;

  constructor(private readonly opts: KeyCollectorOptions) {}

  /** Digits entered so far (never their values). */
  get count(): number {
    return this.digits.length;
  }

  press(key: Key, monoMs: number): KeyResult {
    this.expire(monoMs);
    this.lastKeyAt = monoMs;
    if (key === '*') {
      const had = this.digits.length > 0;
      this.digits = '';
      return had ? { kind: 'cleared' } : { kind: 'ignored' };
    }
    if (key === '#') {
      // A bare # is a stray key, not an attempt.
      if (this.digits.length === 0) return { kind: 'ignored' };
      return this.submit();
    }
    this.digits += key;
    if (this.digits.length > this.opts.maxLength) {
      this.digits = '';
      return { kind: 'overflow' };
    }
    if (this.opts.submitOnLength !== null && this.digits.length === this.opts.submitOnLength) return this.submit();
    return { kind: 'digit', count: this.digits.length };
  }

  /** Drops a partial entry whose last key is older than the timeout; true when one was dropped. */
  expire(monoMs: number): boolean {
    if (this.digits.length > 0 && monoMs - this.lastKeyAt >= this.opts.timeoutMs) {
      this.digits = '';
      return true;
    }
    return false;
  }

  /** When the pending entry times out (monotonic ms), or null when nothing is pending. */
  get deadline(): number | null {
    return this.digits.length > 0 ? this.lastKeyAt + this.opts.timeoutMs : null;
  }

  private submit(): KeyResult {
    const pin = this.digits;
    this.digits = '';
    return { kind: 'submit', pin };
  }
}
