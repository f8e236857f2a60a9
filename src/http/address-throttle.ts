/**
 * Throttling of bad tokens per client address, on the monotonic clock: `maxFailures` bad tokens within `windowMs`
 * block the address for `blockMs`, but only for bad tokens. A good token from a blocked address still works, since
 * one address is often many clients (NAT, a proxy), and a token (256 random bits) cannot be guessed anyway: the
 * throttle keeps a spray from costing lookups and log lines, not secrets. IPv6 clients are counted per /64, the
 * block one host usually holds. Memory is bounded: past `maxAddresses` the addresses with nothing left to count go
 * first, then the longest quiet unblocked one, so a spray from many addresses can never unblock the blocked.
 */
import { isIPv6 } from 'node:net';

export interface AddressThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  maxAddresses: number;
}

export const ADDRESS_THROTTLE: AddressThrottlePolicy = { maxFailures: 10, windowMs: 60_000, blockMs: 60_000, maxAddresses: 10_000 };

interface Entry {
  /** Monotonic times of the bad tokens within the window, oldest first. */
  failures: number[];
  blockedUntil: number;
}

export interface FailureOutcome {
  /** This bad token blocked the address. */
  blockedNow: boolean;
}

export class AddressThrottle {
  /** In order of the last bad token (re-inserted on each): the first entries are the quietest. */
  private readonly entries = new Map<string, Entry>();
  private sweptAt = -Infinity;

  constructor(
    private readonly policy: AddressThrottlePolicy = ADDRESS_THROTTLE,
    private readonly monoMs: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Whole seconds this address is still refused bad tokens; 0 when it is not blocked. */
  blockedForS(key: string): number {
    const e = this.entries.get(key);
    const left = e ? e.blockedUntil - this.monoMs() : 0;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  failed(key: string): FailureOutcome {
    const now = this.monoMs();
    const e = this.entries.get(key) ?? { failures: [], blockedUntil: -Infinity };
    this.entries.delete(key);
    e.failures = [...e.failures.filter((t) => now - t < this.policy.windowMs), now];
    let blockedNow = false;
    if (e.failures.length >= this.policy.maxFailures && e.blockedUntil <= now) {
      e.blockedUntil = now + this.policy.blockMs;
      e.failures = [];
      blockedNow = true;
    }
    this.entries.set(key, e);
    if (this.entries.size > this.policy.maxAddresses) this.evict(now);
    return { blockedNow };
  }

  private evict(now: number): void {
    // A full sweep at most once a second: under a spray from fresh addresses it finds little, and it is O(n).
    if (now - this.sweptAt >= 1000) {
      this.sweptAt = now;
      for (const [key, e] of this.entries)
        if (e.blockedUntil <= now && e.failures.every((t) => now - t >= this.policy.windowMs)) this.entries.delete(key);
    }
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.policy.maxAddresses) return;
      if (e.blockedUntil <= now) this.entries.delete(key);
    }
    // Every address left is blocked (an attacker who spent 10 bad tokens on each): the oldest block goes.
    while (this.entries.size > this.policy.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * What one client is counted as: an IPv4 address (IPv4-mapped IPv6 included) as itself, an IPv6 address by its
 * first 64 bits ("2001:db8:0:0::/64"); the zone of a link-local address is dropped.
 */
export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  const [head = '', tail] = bare.toLowerCase().split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => String(parseInt(g, 16).toString(16)))
    .join(':')}::/64`;
}
