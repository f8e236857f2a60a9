/**
 * The PIN rules of the credential vendors' guide (4-8 digits, the weak-PIN list, generated PINs; the README's "PIN
 * rules" section states them), as pure functions.
 * Nothing here touches storage or the clock; randomness is passed in so tests can drive it.
 */
import { randomInt as cryptoRandomInt } from 'node:crypto';
import { COMMON_PINS } from './common-pins.js';

/** The part of a PIN policy that decides which values are acceptable. */
export interface PinRules {
  min_length: number;
  max_length: number;
  generated_length: number;
  weak_pins: 'warn' | 'reject';
}

/** Hard limits from the guide; a policy may narrow them, never widen them. */
export const PIN_MIN_DIGITS = 4;
export const PIN_MAX_DIGITS = 8;

/**
 * Why `value` is not a well-formed PIN under `rules`, or null when it is.
 * The message never repeats the value: errors end up in logs and API answers.
 */
/** Whether a door with these rules looks a typed PIN up at all: its length, and its weakness where refused. */
export function doorAcceptsPin(pin: string, rules: PinRules): boolean {
  return pinFormatError(pin, rules) === null && !(rules.weak_pins === 'reject' && pinWeakness(pin) !== null);
}

export function pinFormatError(value: string, rules: Pick<PinRules, 'min_length' | 'max_length'>): string | null {
  if (value.length === 0) return 'must not be empty (use "******" to generate one)';
  if (!/^[0-9]+$/.test(value)) return 'digits only (0-9; no letters, spaces or signs)';
  if (value.length < rules.min_length || value.length > rules.max_length) {
    return `must be ${rules.min_length} to ${rules.max_length} digits`;
  }
  return null;
}

/** A value made only of asterisks asks for a generated PIN ("******"). */
export function isGenerateRequest(value: string): boolean {
  return /^\*+$/.test(value);
}

/** Length of a generated PIN: the number of asterisks when the policy allows it, else the policy's default. */
export function generatedPinLength(request: string, rules: PinRules): number {
  const n = request.length;
  return n >= rules.min_length && n <= rules.max_length ? n : rules.generated_length;
}

/**
 * Why a PIN is easy to guess, as a phrase that follows "it" ("it is an ascending sequence"), or null.
 * Reasons are shown to the admin; they never contain the PIN.
 */
export function pinWeakness(pin: string): string | null {
  if (/^(\d)\1+$/.test(pin)) return 'repeats one digit';
  if (isRun(pin, 1)) return 'is an ascending sequence';
  if (isRun(pin, -1)) return 'is a descending sequence';
  if (pin.length === 4 && /^(19|20)\d\d$/.test(pin)) return 'looks like a year (19xx/20xx)';
  if (repeatsShortPattern(pin)) return 'repeats a short pattern';
  if (COMMON_PINS.has(pin)) return 'is one of the most commonly chosen PINs';
  return null;
}

function isRun(pin: string, step: 1 | -1): boolean {
  for (let i = 1; i < pin.length; i++) {
    // 7890 and 3210 count: keypads make 9->0 and 0->9 adjacent in people's minds.
    if (Number(pin[i]) !== (Number(pin[i - 1]) + step + 10) % 10) return false;
  }
  return true;
}

function repeatsShortPattern(pin: string): boolean {
  for (let period = 2; period <= pin.length / 2; period++) {
    if (pin.length % period === 0 && pin.slice(0, period).repeat(pin.length / period) === pin) return true;
  }
  return false;
}

/** Draws an integer in [0, max) without modulo bias. */
export type RandomInt = (max: number) => number;

const defaultRandom: RandomInt = (max) => cryptoRandomInt(0, max);

export class PinSpaceExhaustedError extends Error {}

/**
 * A random PIN of `length` digits that is not weak and for which `isTaken` is false.
 * Draws again on a weak or taken value, so the result is uniform over the acceptable PINs.
 */
export function generatePin(length: number, isTaken: (pin: string) => boolean, random: RandomInt = defaultRandom): string {
  const space = 10 ** length;
  // Enough draws that a failure means the space is really full, not bad luck.
  const attempts = Math.max(1000, Math.min(space * 4, 200_000));
  for (let i = 0; i < attempts; i++) {
    const pin = String(random(space)).padStart(length, '0');
    if (pinWeakness(pin) === null && !isTaken(pin)) return pin;
  }
  throw new PinSpaceExhaustedError(`no free ${length}-digit PIN could be drawn; use a longer length`);
}

/** IEC 60839-11-1 practice: possible codes must outnumber issued codes at least 1000:1. */
export const DENSITY_RATIO = 1000;

/** How many active PINs of `length` digits keep the 1000:1 ratio. */
export function densityLimit(length: number): number {
  return Math.floor(10 ** length / DENSITY_RATIO);
}

/**
 * A warning when `activeOfLength` active PINs of `length` digits exceed the density limit, naming the shortest
 * policy length at which one more PIN would still fit (`activeCount` gives the count per length).
 */
export function densityWarning(
  length: number,
  activeCount: (length: number) => number,
  rules: Pick<PinRules, 'min_length' | 'max_length'>,
): string | null {
  const active = activeCount(length);
  const limit = densityLimit(length);
  if (active <= limit) return null;
  const odds = Math.round(10 ** length / active).toLocaleString('en-US');
  let advice = `no length within the policy (${rules.min_length}-${rules.max_length} digits) has room; raise max_length`;
  for (let l = rules.min_length; l <= rules.max_length; l++) {
    if (l !== length && activeCount(l) + 1 <= densityLimit(l)) {
      advice = `issue ${l}-digit PINs instead (room for ${densityLimit(l).toLocaleString('en-US')})`;
      break;
    }
  }
  return (
    `${active} active ${length}-digit PINs exceed 1/${DENSITY_RATIO} of the ${(10 ** length).toLocaleString('en-US')} ` +
    `possible codes (limit ${limit}): one random guess now succeeds 1 time in ${odds}; ${advice}`
  );
}
