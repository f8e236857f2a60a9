/**
 * The duress rule: a person under threat types their PIN with the last digit one higher (9 wraps to 0), and the
 * door opens as usual while an alarm goes out. The door never reads stored PINs back (they may be digests): it
 * computes the one PIN the typed one would be a duress entry for, and looks that up. A typed PIN that is itself
 * someone's real PIN is always that person's entry, never a duress entry for another.
 */
export type DuressRule = 'off' | 'last_digit_plus_one';

/** The real PIN a typed PIN is the duress form of under `rule` (last digit − 1 mod 10), or null when the rule is off. */
export function duressTarget(typed: string, rule: DuressRule): string | null {
  if (rule === 'off' || !/^[0-9]+$/.test(typed)) return null;
  const last = Number(typed.at(-1));
  return typed.slice(0, -1) + String((last + 9) % 10);
}
