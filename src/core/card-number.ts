/** Card numbers as DoorFlow stores them (`credentials_number`): a decimal string, the one the reader reports. */

/** Largest card number keypadd stores: a 37-bit frame's payload fits, with room to spare. */
const MAX_CARD_DIGITS = 20;

export type CardNumberResult = { ok: true; number: string } | { ok: false; field: string; message: string };

/** A decimal card number in canonical form (no leading zeros), or the reason it is not one. */
export function parseCardNumber(value: string): CardNumberResult {
  if (value.length === 0) return { ok: false, field: 'value', message: 'must not be empty' };
  if (!/^[0-9]+$/.test(value)) return { ok: false, field: 'value', message: 'digits only (a decimal card number)' };
  if (value.length > MAX_CARD_DIGITS) return { ok: false, field: 'value', message: `at most ${MAX_CARD_DIGITS} digits` };
  // Readers report the number, not the printed text: 0012345 and 12345 are the same card.
  return { ok: true, number: BigInt(value).toString() };
}

/**
 * A 26-bit H10301 card given as facility code and card number, as printed on most prox cards:
 * stored as FC × 65536 + CN, the same number a 26-bit frame decodes to.
 */
export function cardNumberFromFacility(facility: string, card: string): CardNumberResult {
  const fc = /^[0-9]{1,3}$/.test(facility) ? Number(facility) : NaN;
  if (!(fc >= 0 && fc <= 255)) return { ok: false, field: 'facility', message: 'must be 0 to 255 for a 26-bit card' };
  const cn = /^[0-9]{1,5}$/.test(card) ? Number(card) : NaN;
  if (!(cn >= 0 && cn <= 65535)) return { ok: false, field: 'card', message: 'must be 0 to 65535 for a 26-bit card' };
  return { ok: true, number: String(fc * 65536 + cn) };
}
