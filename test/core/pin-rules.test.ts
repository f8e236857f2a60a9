import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  densityLimit,
  densityWarning,
  generatePin,
  generatedPinLength,
  isGenerateRequest,
  pinFormatError,
  pinWeakness,
  PinSpaceExhaustedError,
  type PinRules,
} from '../../src/core/pin-rules.js';

const guide: PinRules = { min_length: 4, max_length: 8, generated_length: 6, weak_pins: 'warn' };

describe('PIN format (the guide: "PIN Format Requirements")', () => {
  it.each(['1234', '012345', '98765432', '0123'])('accepts the valid example %j', (pin) => {
    expect(pinFormatError(pin, guide)).toBeNull();
  });

  it.each([
    ['123', 'must be 4 to 8 digits'],
    ['12AB', 'digits only'],
    ['1234 ', 'digits only'],
    ['', 'must not be empty'],
    ['123456789', 'must be 4 to 8 digits'],
    ['１２３４', 'digits only'], // full-width digits are not ASCII digits
    ['-123', 'digits only'],
  ])('refuses the invalid example %j with a message naming the rule', (pin, rule) => {
    const message = pinFormatError(pin, guide);
    expect(message).toContain(rule);
    if (pin.length > 0) expect(message).not.toContain(pin);
  });

  it('applies a narrower policy', () => {
    expect(pinFormatError('1234', { min_length: 6, max_length: 8 })).toBe('must be 6 to 8 digits');
    expect(pinFormatError('123456', { min_length: 6, max_length: 8 })).toBeNull();
  });

  it('treats leading zeros as significant: 0123 is four digits, not 123', () => {
    expect(pinFormatError('0123', guide)).toBeNull();
    expect(pinFormatError('123', guide)).not.toBeNull();
  });
});

describe('generate requests', () => {
  it('recognises asterisk-only values', () => {
    expect(isGenerateRequest('******')).toBe(true);
    expect(isGenerateRequest('***')).toBe(true);
    expect(isGenerateRequest('12**')).toBe(false);
    expect(isGenerateRequest('')).toBe(false);
  });

  it('uses the number of asterisks when 4-8, else the default length', () => {
    expect(generatedPinLength('******', guide)).toBe(6);
    expect(generatedPinLength('****', guide)).toBe(4);
    expect(generatedPinLength('********', guide)).toBe(8);
    expect(generatedPinLength('***', guide)).toBe(6);
    expect(generatedPinLength('*********', guide)).toBe(6);
  });
});

describe('weak PINs', () => {
  it.each([
    ['0000', 'repeats one digit'],
    ['11111111', 'repeats one digit'],
    ['1234', 'ascending'],
    ['7890', 'ascending'],
    ['456789', 'ascending'],
    ['4321', 'descending'],
    ['3210', 'descending'],
    ['1987', 'year'],
    ['2024', 'year'],
    ['1212', 'pattern'],
    ['123123', 'pattern'],
    ['12341234', 'pattern'],
    ['2580', 'common'],
    ['6969', 'pattern'],
    ['159753', 'common'],
  ])('%s is weak (%s)', (pin, reason) => {
    expect(pinWeakness(pin)).toContain(reason);
  });

  it.each(['247815', '5839', '3917', '86420135', '0472'])('%s is not weak', (pin) => {
    expect(pinWeakness(pin)).toBeNull();
  });

  it('never puts the PIN in the reason', () => {
    for (const pin of ['1111', '1234', '1999', '2580', '121212']) expect(pinWeakness(pin)).not.toContain(pin);
  });
});

describe('PIN generator', () => {
  const none = () => false;

  it('has the requested length, digits only, and is never weak (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 8 }), (length) => {
        const pin = generatePin(length, none);
        expect(pin).toMatch(new RegExp(`^[0-9]{${length}}$`));
        expect(pinWeakness(pin)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('skips weak and taken values drawn by the random source', () => {
    // A scripted source: 1111 (weak), 5839 (taken), then 5840.
    const draws = [1111, 5839, 5840];
    const taken = new Set(['5839']);
    expect(
      generatePin(
        4,
        (p) => taken.has(p),
        () => draws.shift()!,
      ),
    ).toBe('5840');
  });

  it('pads with leading zeros', () => {
    expect(generatePin(6, none, () => 4721)).toBe('004721');
  });

  it('never returns a duplicate while filling most of a 4-digit space', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 8000; i++) {
      const pin = generatePin(4, (p) => taken.has(p));
      expect(taken.has(pin)).toBe(false);
      taken.add(pin);
    }
  });

  it('says so when the space is exhausted instead of looping forever', () => {
    expect(() => generatePin(4, () => true)).toThrow(PinSpaceExhaustedError);
  });

  it('draws digits with roughly uniform frequency over 100,000 PINs', () => {
    const counts = new Array<number>(10).fill(0);
    const positionCounts = Array.from({ length: 6 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < 100_000; i++) {
      const pin = generatePin(6, none);
      for (let j = 0; j < pin.length; j++) {
        counts[Number(pin[j])]!++;
        positionCounts[j]![Number(pin[j])]!++;
      }
    }
    // 600,000 digits: each expected 60,000, sd ~232 (0.39%); 2% is five sd, so a real bias fails and luck does not.
    // Rejecting weak PINs removes about 0.01% of the space.
    for (const c of counts) expect(Math.abs(c / 60_000 - 1)).toBeLessThan(0.02);
    // Chi-square per position, 9 degrees of freedom: 50 is beyond the 0.999999 quantile (a missing digit gives ~11,000).
    for (const pos of positionCounts) {
      const chi = pos.reduce((sum, c) => sum + (c - 10_000) ** 2 / 10_000, 0);
      expect(chi).toBeLessThan(50);
    }
  });
});

describe('PIN density guard (1000:1, IEC 60839-11-1 practice)', () => {
  it('allows 10 four-digit, 100 five-digit, 1000 six-digit PINs', () => {
    expect([4, 5, 6, 8].map(densityLimit)).toEqual([10, 100, 1000, 100000]);
  });

  it('is silent up to the limit and warns past it, naming a length that restores it', () => {
    const counts: Record<number, number> = { 4: 10 };
    const count = (l: number) => counts[l] ?? 0;
    expect(densityWarning(4, count, guide)).toBeNull();
    counts[4] = 11;
    const w = densityWarning(4, count, guide)!;
    expect(w).toContain('11 active 4-digit PINs');
    expect(w).toContain('limit 10');
    expect(w).toContain('issue 5-digit PINs instead');
  });

  it('skips lengths that are full too', () => {
    const counts: Record<number, number> = { 4: 50, 5: 100 };
    expect(densityWarning(4, (l) => counts[l] ?? 0, guide)).toContain('issue 6-digit PINs instead');
  });

  it('says when no length in the policy has room', () => {
    expect(densityWarning(4, () => 10 ** 6, { min_length: 4, max_length: 4 })).toContain('raise max_length');
  });
});
