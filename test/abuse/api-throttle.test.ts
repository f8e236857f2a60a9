/**
 * The bad-token throttle of a real `keypadd run --sim` API, attacked from many loopback addresses (all of 127/8 can
 * be bound as a client's own address): a spray must not unblock anyone, and a blocked address keeps its good tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../../src/api/address-throttle.js';
import { apiDaemon, type ApiClient } from '../helpers/api-client.js';

const cleanups: (() => void)[] = [];
let api: ApiClient;

beforeAll(async () => {
  ({ api } = await apiDaemon('', cleanups));
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const account = (from: string, token: string) => api.call({ method: 'GET', path: '/api/3/account', from, token });

async function block(from: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await account(from, `kpd_guess${i}`)).status);
  return statuses;
}

describe('bad-token throttle', () => {
  it('refuses only bad tokens from a blocked address: a good one (NAT, a proxy) still works', async () => {
    expect(await block('127.0.0.2')).toEqual([...Array<number>(10).fill(401), 429]);
    expect((await account('127.0.0.2', 'kpd_another')).status).toBe(429);
    expect((await account('127.0.0.2', api.token)).status).toBe(200);
    // Other addresses are not held up.
    expect((await account('127.0.0.9', 'kpd_another')).status).toBe(401);
  });

  it('keeps a blocked address blocked through a spray of bad tokens from 10,001 other addresses', async () => {
    expect((await block('127.0.0.3')).at(-1)).toBe(429);
    const addresses = Array.from({ length: 10_001 }, (_, i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < addresses.length) {
          const s = (await account(addresses[next++]!, 'kpd_spray')).status;
          statuses.set(s, (statuses.get(s) ?? 0) + 1);
        }
      }),
    );
    expect([...statuses]).toEqual([[401, 10_001]]);
    expect((await account('127.0.0.3', 'kpd_after_spray')).status).toBe(429);
    expect((await account('127.0.0.2', 'kpd_after_spray')).status).toBe(429);
  }, 120_000);

  it('checks the token before reading a body: a big body with a bad token is 401, not 413', async () => {
    const big = { first_name: 'x'.repeat(70_000), last_name: 'y' };
    expect((await api.call({ method: 'POST', path: '/api/3/people', body: big, token: 'kpd_not_a_token', from: '127.0.0.20' })).status).toBe(401);
    expect((await api.call({ method: 'POST', path: '/api/3/people', body: big, from: '127.0.0.20' })).status).toBe(413);
  });

  it('groups IPv6 clients by /64 and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:ffff:1:2:3'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  });
});
