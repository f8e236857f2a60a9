import { describe, expect, it } from 'vitest';
import { KeyCollector, type Key } from '../../src/core/key-collector.js';

const collector = (over: Partial<ConstructorParameters<typeof KeyCollector>[0]> = {}) =>
  new KeyCollector({ maxLength: 8, timeoutMs: 10_000, submitOnLength: null, ...over });

function type(c: KeyCollector, keys: string, t0 = 0, gap = 100) {
  return [...keys].map((k, i) => c.press(k as Key, t0 + i * gap));
}

describe('key collector', () => {
  it('submits the digits on #', () => {
    expect(type(collector(), '1234#').at(-1)).toEqual({ kind: 'submit', pin: '1234' });
  });

  it('keeps leading zeros', () => {
    expect(type(collector(), '0123#').at(-1)).toEqual({ kind: 'submit', pin: '0123' });
  });

  it('clears on *', () => {
    const c = collector();
    expect(type(c, '12*').at(-1)).toEqual({ kind: 'cleared' });
    expect(type(c, '5678#', 1000).at(-1)).toEqual({ kind: 'submit', pin: '5678' });
  });

  it('drops a partial entry silently after the inter-key timeout', () => {
    const c = collector();
    type(c, '12');
    expect(c.deadline).toBe(100 + 10_000);
    expect(c.expire(10_099)).toBe(false);
    expect(c.expire(10_100)).toBe(true);
    expect(c.press('3', 10_200)).toEqual({ kind: 'digit', count: 1 });
    expect(type(c, '45#', 10_300).at(-1)).toEqual({ kind: 'submit', pin: '345' });
  });

  it('drops a stale entry when the next key arrives after the timeout, even with no timer', () => {
    const c = collector();
    type(c, '99');
    expect(type(c, '1234#', 60_000).at(-1)).toEqual({ kind: 'submit', pin: '1234' });
  });

  it('clears and reports an overflow past the max length', () => {
    const results = type(collector({ maxLength: 4 }), '12345');
    expect(results.at(-1)).toEqual({ kind: 'overflow' });
  });

  it('submits on length for keypads without #', () => {
    const results = type(collector({ submitOnLength: 4 }), '12345678');
    expect(results.filter((r) => r.kind === 'submit')).toEqual([
      { kind: 'submit', pin: '1234' },
      { kind: 'submit', pin: '5678' },
    ]);
  });

  it('ignores a bare # or *', () => {
    expect(type(collector(), '#*')).toEqual([{ kind: 'ignored' }, { kind: 'ignored' }]);
  });
});
