import { describe, expect, it } from 'vitest';
import { cardNumberFromFacility, parseCardNumber } from '../../src/core/card-number.js';

describe('card numbers', () => {
  it('keeps the decimal number DoorFlow stores, canonical without leading zeros', () => {
    expect(parseCardNumber('1234567890')).toEqual({ ok: true, number: '1234567890' });
    expect(parseCardNumber('0012345')).toEqual({ ok: true, number: '12345' });
  });

  it.each([
    ['', 'must not be empty'],
    ['12AB', 'digits only'],
    ['-5', 'digits only'],
    ['1'.repeat(21), 'at most 20 digits'],
  ])('refuses %j', (value, message) => {
    expect(parseCardNumber(value)).toMatchObject({ ok: false, field: 'value', message: expect.stringContaining(message) });
  });

  it('turns a 26-bit facility code and card number into FC x 65536 + CN', () => {
    expect(cardNumberFromFacility('12', '345')).toEqual({ ok: true, number: String(12 * 65536 + 345) });
    expect(cardNumberFromFacility('255', '65535')).toEqual({ ok: true, number: '16777215' });
    expect(cardNumberFromFacility('0', '1')).toEqual({ ok: true, number: '1' });
  });

  it('names the field that is out of range', () => {
    expect(cardNumberFromFacility('256', '1')).toMatchObject({ ok: false, field: 'facility' });
    expect(cardNumberFromFacility('1', '65536')).toMatchObject({ ok: false, field: 'card' });
    expect(cardNumberFromFacility('x', '1')).toMatchObject({ ok: false, field: 'facility' });
  });
});
