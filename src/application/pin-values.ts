/**
 * The value of a new PIN credential: a generated one, or a custom one checked against the site policy (format,
 * `custom: refuse`, weakness) and for uniqueness, with the warnings the admin should see. Shared by every path that
 * creates a PIN (CLI and API), so the rules and the warnings are the same everywhere.
 */
import { doorPinRules, generatedLengthForAllDoors, sitePinRules } from '../config/policy.js';
import { generatePin, generatedPinLength, isGenerateRequest, pinFormatError, pinWeakness, PinSpaceExhaustedError } from '../core/pin-rules.js';
import { CredentialRepo, PIN_TYPE_ID } from '../storage/credential-repo.js';
import type { AdminContext } from './context.js';
import { inUse, invalid } from './errors.js';

/** A credential value ready to store: what is kept, what is shown once, and what the admin is told. */
export interface Prepared {
  stored: string | null;
  shown: string;
  digest: string;
  pinLength: number | null;
  warnings: string[];
}

/**
 * The checks a custom PIN must pass before anything is looked up: its format, whether custom PINs are allowed at
 * all (`pin_policy.custom`), and weakness where weak PINs are rejected. None of them compares the value with a
 * stored one, so their answers say nothing about other people's PINs. A generate request passes.
 */
export function checkCustomPin(ctx: AdminContext, value: string | null): void {
  if (value === null || isGenerateRequest(value)) return;
  if (ctx.config.pin_policy.custom === 'refuse') {
    throw invalid('value', 'custom PINs are refused here (pin_policy.custom: refuse): send "******" for a generated one');
  }
  const rules = sitePinRules(ctx.config);
  const format = pinFormatError(value, rules);
  if (format) throw invalid('value', format);
  const weakness = pinWeakness(value);
  if (weakness && rules.weak_pins === 'reject') throw invalid('value', `is too easy to guess: it ${weakness}; use "******" to generate one`);
}

/**
 * No value at all asks for a generated PIN, like asterisks do; an empty string is refused (the guide). A custom
 * PIN that someone holds is refused as `in_use` (the API counts those). Runs inside the creating transaction.
 */
export function preparePin(ctx: AdminContext, repo: CredentialRepo, value: string | null): Prepared {
  const rules = sitePinRules(ctx.config);
  const digestOf = (pin: string) => ctx.store.digest(pin);
  const warnings: string[] = [];
  let pin: string;
  if (value === null || isGenerateRequest(value)) {
    const rulesForAll = { ...rules, generated_length: generatedLengthForAllDoors(ctx.config) };
    const length = generatedPinLength(value ?? '', rulesForAll);
    try {
      pin = generatePin(length, (p) => repo.byDigest(PIN_TYPE_ID, digestOf(p)) !== undefined);
    } catch (err) {
      if (err instanceof PinSpaceExhaustedError) throw invalid('value', err.message);
      throw err;
    }
  } else {
    const weakness = pinWeakness(value);
    if (weakness) warnings.push(`weak PIN: it ${weakness}; a generated PIN ("******") is safer`);
    if (repo.byDigest(PIN_TYPE_ID, digestOf(value))) throw inUse('value');
    pin = value;
  }
  warnings.push(...doorWarnings(ctx, pin));
  return {
    stored: ctx.config.pin_policy.storage === 'plaintext' ? pin : null,
    shown: pin,
    digest: digestOf(pin),
    pinLength: pin.length,
    warnings,
  };
}

/** A PIN is valid site-wide; a door with a narrower policy will refuse it, and the admin should know which. */
function doorWarnings(ctx: AdminContext, pin: string): string[] {
  const out: string[] = [];
  for (const door of ctx.config.doors) {
    if (!door.pin_policy) continue;
    const rules = doorPinRules(ctx.config, door);
    const name = `door ${door.id} (${door.name})`;
    if (pinFormatError(pin, rules)) out.push(`${name} accepts only ${rules.min_length}-${rules.max_length} digit PINs; this PIN will not open it`);
    else if (rules.weak_pins === 'reject' && pinWeakness(pin)) out.push(`${name} rejects weak PINs; this PIN will not open it`);
  }
  return out;
}
