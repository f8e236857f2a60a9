/**
 * Time-sortable unique event ids (ULID layout: 48-bit ms time, 80 random bits, Crockford base32), monotonic within
 * one process: ids made in the same millisecond increase, so sorting by id is sorting by when events happened.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

export function newEventId(nowMs: number): string {
  if (nowMs <= lastTime) {
    // Same (or earlier) millisecond: increment the random part so the order is kept.
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      if (lastRandom[i]! < 31) {
        lastRandom[i]!++;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    lastTime = nowMs;
    lastRandom = [...randomBytes(16)].map((b) => b % 32);
  }
  return encodeTime(lastTime) + lastRandom.map((n) => ALPHABET[n]).join('');
}
