import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configSchema, type DoorConfig } from '../../src/config/schema.js';
import type { AccessFacts, CredentialKind } from '../../src/core/decision.js';
import type { PersistedLockout } from '../../src/core/lockout.js';
import type { PinRules } from '../../src/core/pin-rules.js';
import { DoorController } from '../../src/door/door-controller.js';
import { SimDoorHardware } from '../../src/drivers/sim/sim-door.js';
import { encodeCardNumber, encodeKey } from '../../src/core/wiegand-encoder.js';
import { createLogger } from '../../src/log.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { NewEvent } from '../../src/storage/event-repo.js';

/** The event writer replaced by memory: what the door recorded and saved, stored at once (or never, with `failing`). */
class Sink {
  events: NewEvent[] = [];
  lockouts: { key: number; state: PersistedLockout }[] = [];
  failing = false;
  record(e: NewEvent): void {
    this.events.push(e);
  }
  saveLockout(key: number, state: PersistedLockout): void {
    this.lockouts.push({ key, state });
  }
  saveDoorMode(): void {}
  whenStored(): Promise<boolean> {
    return Promise.resolve(!this.failing);
  }
  types(): string[] {
    return this.events.map((e) => (e.reason ? `${e.event_type}:${e.reason}` : e.event_type));
  }
}

const person = (id: number, kind: CredentialKind, credentialId: string): AccessFacts => ({
  credential: { id: credentialId, kind, enabled: true, createdAtMs: Date.parse('2026-01-01T00:00:00Z') },
  person: { id, name: `Person ${id}`, enabled: true, validFromMs: null, validToMs: null },
  roles: [{ doors: [], slots: [] }],
  reservations: [],
});

const CREDENTIALS: Record<string, AccessFacts> = {
  'PIN:583920': person(1, 'PIN', 'cred_pin1'),
  'PIN:740163': person(2, 'PIN', 'cred_pin2'),
  'Card:1234567': person(1, 'Card', 'cred_card1'),
};

let clock: ManualClock;
let hw: SimDoorHardware;
let sink: Sink;
let door: DoorController;

const LOCKOUT = {
  attempts: 3,
  windowMs: 60_000,
  durationMs: 30_000,
  maxDurationMs: 900_000,
  maxPerHour: 12,
  alarmAfter: 10,
  levelDecayMs: 3_600_000,
};
const CARDS = { attempts: 5, windowMs: 60_000, durationMs: 30_000, maxDurationMs: 300_000, maxPerHour: 60, alarmAfter: 10, levelDecayMs: 3_600_000 };
/** When set, the lookup fails as a damaged database does. */
let lookupError: Error | null = null;
const lookups: (Error | null)[] = [];
/** The keypad's lockout as the door's watchers saw it at each state change it announced. */
const announced: boolean[] = [];

const saved = (p: Partial<PersistedLockout>): PersistedLockout => ({
  level: 0,
  remainingMs: 0,
  failureAgesMs: [],
  sinceAlarmAgesMs: [],
  lockedAgeMs: null,
  levelAgeMs: 0,
  ...p,
});

function build(
  doorSettings: Record<string, unknown> = {},
  resumed?: PersistedLockout,
  pinRules: PinRules = { min_length: 4, max_length: 8, generated_length: 6, weak_pins: 'warn' },
): void {
  const config = configSchema.parse({ doors: [{ id: 1, name: 'Front Door', ...doorSettings }] });
  const d: DoorConfig = config.doors[0]!;
  door = new DoorController({
    door: d,
    hw,
    clock,
    zone: 'Europe/London',
    pinRules,
    lockoutPolicy: LOCKOUT,
    cardPolicy: CARDS,
    lookup: (kind, value) => {
      if (lookupError) throw lookupError;
      return CREDENTIALS[`${kind}:${value}`] ?? null;
    },
    events: sink,
    log: createLogger('test', 'error', () => undefined),
    resumedLockout: resumed,
    onLookup: (err) => lookups.push(err),
    onStateChange: () => announced.push(door.status().lockout.active),
  });
  door.start();
}

beforeEach(() => {
  lookupError = null;
  lookups.length = 0;
  announced.length = 0;
  vi.useFakeTimers();
  clock = new ManualClock('2026-01-14T10:00:00Z'); // A Wednesday, 10:00 UTC.
  hw = new SimDoorHardware();
  sink = new Sink();
});
afterEach(() => {
  door.stop();
  vi.useRealTimers();
});

describe('door controller: relay', () => {
  it('drives the relay locked at start, unlocks on a grant for unlock_ms, and locks at stop', () => {
    build();
    expect(hw.relay.history.map((h) => h.energised)).toEqual([false]);
    hw.typeKeys('583920#');
    expect(door.status()).toMatchObject({ relay: 'unlocked', unlock_count: 1, led: 'granted', buzzer: 'granted' });
    expect(hw.relay.energised).toBe(true);
    clock.advance(4_999);
    expect(door.status().relay).toBe('unlocked');
    clock.advance(1);
    expect(door.status().relay).toBe('locked');
    expect(sink.events[0]).toMatchObject({
      event_type: 'access_granted',
      event_code: 11,
      person_id: 1,
      credential_id: 'cred_pin1',
      credential_type: 'PIN',
      time_trusted: true,
    });
  });

  it('extends the unlock on a new grant', () => {
    build();
    hw.typeKeys('583920#');
    clock.advance(4_000);
    hw.presentCard('1234567');
    clock.advance(4_000);
    expect(door.status()).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    clock.advance(1_000);
    expect(door.status().relay).toBe('locked');
  });

  it('energises to lock a fail-safe door', () => {
    build({ fail_safe: true });
    expect(hw.relay.energised).toBe(true);
    hw.typeKeys('583920#');
    expect(hw.relay.energised).toBe(false);
    door.stop();
    expect(hw.relay.energised).toBe(true);
  });

  it('forces the relay locked when an unlocked period outlasts max_unlock_ms, and says so', () => {
    build({ unlock_ms: 5_000, max_unlock_ms: 8_000 });
    // Someone keeps presenting a card: each grant extends, but never past the hard limit.
    for (let i = 0; i < 3; i++) {
      hw.presentCard('1234567');
      clock.advance(3_000);
    }
    // Grants at 0, 3 and 6 s would keep it unlocked until 11 s; the guard locks it just after 8 s.
    expect(door.status().relay).toBe('locked');
    expect(sink.types()).toContain('relay_forced_lock');
  });
});

describe('door controller: PINs and lockout', () => {
  it('locks the keypad after 3 wrong PINs; the right PIN is then refused; nothing is ever unlocked', async () => {
    build();
    hw.typeKeys('111190#222290#333390#');
    hw.typeKeys('583920#');
    expect(sink.types()).toEqual([
      'access_denied:unknown_credential',
      'access_denied:unknown_credential',
      'keypad_locked_out',
      'access_denied:unknown_credential',
      'access_denied:locked_out',
    ]);
    await door.settled();
    expect(door.status()).toMatchObject({ relay: 'locked', unlock_count: 0, led: 'locked_out', lockout: { active: true, level: 1 } });
    clock.advance(30_000);
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
  });

  it('tells its watchers when a lockout ends, with no key pressed (MQTT and the API learn it from the door)', () => {
    build();
    hw.typeKeys('111190#222290#333390#');
    expect(announced.at(-1)).toBe(true);
    const before = announced.length;
    clock.advance(29_000);
    expect(announced.length).toBe(before);
    clock.advance(1_100);
    expect(announced.slice(before)).toEqual([false]);
  });

  it('is not shortened or lengthened by a wall-clock jump of an hour either way', () => {
    build();
    hw.typeKeys('1111#2222#3333#');
    clock.wall += 3_600_000; // NTP steps the clock forward an hour
    clock.mono += 10_000;
    hw.typeKeys('583920#');
    expect(sink.types().at(-1)).toBe('access_denied:locked_out');
    clock.wall -= 7_200_000; // and back two hours
    clock.mono += 19_000;
    hw.typeKeys('583920#');
    expect(sink.types().at(-1)).toBe('access_denied:locked_out');
    clock.mono += 1_000;
    hw.typeKeys('583920#');
    expect(sink.types().at(-1)).toBe('access_granted');
  });

  it('resumes a persisted lockout at start', () => {
    build({}, saved({ level: 1, remainingMs: 20_000, failureAgesMs: [2000, 1000, 0], lockedAgeMs: 0, levelAgeMs: -20_000 }));
    hw.typeKeys('583920#');
    expect(sink.types()).toEqual(['access_denied:locked_out']);
    expect(door.status().lockout.active).toBe(true);
    clock.mono += 20_000;
    hw.typeKeys('583920#');
    expect(sink.types().at(-1)).toBe('access_granted');
  });

  it('counts an overlong entry as a failed attempt', () => {
    build();
    hw.typeKeys('123456789');
    expect(sink.events[0]).toMatchObject({ event_type: 'access_denied', reason: 'unknown_credential', detail: { entry: 'too_long' } });
  });

  it('drops a partial entry silently after the inter-key timeout', () => {
    build();
    hw.typeKeys('5839');
    clock.advance(10_000);
    hw.typeKeys('20#');
    expect(sink.types()).toEqual(['access_denied:unknown_credential']);
  });

  it('raises keypad_alarm at 10 wrong PINs within an hour; a grant in between resets nothing', () => {
    build();
    for (let i = 0; i < 10; i++) {
      hw.typeKeys('99999990#');
      if (i === 4) hw.typeKeys('583920#');
    }
    expect(sink.types().filter((t) => t === 'keypad_alarm')).toHaveLength(1);
    clock.mono += 60_000;
    hw.typeKeys('583920#');
    expect(door.status().lockout).toMatchObject({ active: false, level: 1, failures_last_hour: 3 });
  });

  it('a valid PIN between guesses does not reopen the window: two wrong, one right, one wrong locks', () => {
    build();
    hw.typeKeys('111190#222290#');
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
    hw.typeKeys('333390#');
    expect(sink.types().filter((t) => t === 'keypad_locked_out')).toHaveLength(1);
    expect(door.status().lockout).toMatchObject({ active: true, level: 1 });
  });

  it('backs off a reader fed unknown cards, apart from the keypad: every card refused while it lasts', async () => {
    build();
    for (let i = 0; i < 5; i++) hw.presentCard(String(900 + i));
    await door.settled();
    expect(door.status()).toMatchObject({
      card_failures: 5,
      lockout: { active: false },
      card_backoff: { active: true, level: 1 },
      led: 'locked_out',
    });
    expect(sink.types()).toContain('card_reader_locked_out');
    expect(sink.events[0]).toMatchObject({ credential_type: 'Card', reason: 'unknown_credential', detail: { card_number: '900' } });
    // A good card is refused during the backoff, without being looked up; the keypad still works.
    const looked = lookups.length;
    hw.presentCard('1234567');
    expect(sink.events.at(-1)).toMatchObject({ credential_type: 'Card', reason: 'locked_out', event_code: 20 });
    expect(lookups.length).toBe(looked);
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
    clock.advance(30_000);
    hw.presentCard('1234567');
    expect(sink.types().at(-1)).toBe('access_granted');
    expect(sink.lockouts.some((l) => l.key === -1 && l.state.level === 1)).toBe(true);
  });

  it('keeps the number of a refused card only when it is unknown (enrolment needs it; a known card names its holder)', () => {
    CREDENTIALS['Card:7777'] = { ...person(4, 'Card', 'cred_card4'), person: { ...person(4, 'Card', 'x').person, enabled: false } };
    build();
    hw.presentCard('7777');
    expect(sink.events[0]).toMatchObject({ reason: 'person_disabled', person_id: 4, detail: null });
  });

  it('denies on a storage failure (storage_error), counts it as a wrong PIN, and shows the refusal', async () => {
    build();
    lookupError = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    hw.typeKeys('583920#583920#583920#');
    await door.settled();
    expect(sink.types()).toEqual(['access_denied:storage_error', 'access_denied:storage_error', 'keypad_locked_out', 'access_denied:storage_error']);
    expect(door.status()).toMatchObject({ relay: 'locked', led: 'locked_out', lockout: { active: true } });
    expect(lookups.filter((e) => e !== null)).toHaveLength(3);
    lookupError = null;
    clock.advance(30_000);
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
    expect(lookups.at(-1)).toBe(null);
  });

  it('shows a wrong PIN only once it is stored, and after a storage failure anyway', async () => {
    build();
    hw.typeKeys('111190#');
    expect(door.status().led).toBe('idle');
    await door.settled();
    expect(door.status().led).toBe('denied');
    sink.failing = true;
    clock.advance(2000);
    hw.typeKeys('222290#');
    await door.settled();
    expect(door.status().led).toBe('denied');
  });

  it('refuses a credential whose stored times cannot be read (invalid_record), never reading them as "no limit"', () => {
    CREDENTIALS['PIN:484848'] = { ...person(5, 'PIN', 'cred_garbage'), person: { ...person(5, 'PIN', 'x').person, validToMs: Number.NaN } };
    CREDENTIALS['PIN:494949'] = {
      ...person(6, 'PIN', 'cred_badres'),
      roles: [],
      reservations: [{ startMs: Number.NaN, endMs: Number.NaN, doors: [] }],
    };
    build();
    hw.typeKeys('484848#494949#');
    expect(sink.types()).toEqual(['access_denied:invalid_record', 'access_denied:invalid_record']);
    expect(door.status().unlock_count).toBe(0);
  });

  it('never puts a PIN digit sequence in an event', () => {
    build();
    hw.typeKeys('583920#740163#12345678#8765#');
    const text = JSON.stringify(sink.events);
    for (const pin of ['583920', '740163', '12345678', '8765']) expect(text).not.toContain(pin);
  });

  it('refuses weak PINs at a door whose policy rejects them, without looking them up', () => {
    CREDENTIALS['PIN:121212'] = person(3, 'PIN', 'cred_weak');
    build({}, undefined, { min_length: 6, max_length: 8, generated_length: 6, weak_pins: 'reject' });
    hw.typeKeys('121212#');
    expect(sink.types().at(-1)).toBe('access_denied:unknown_credential');
  });
});

describe('door controller: modes', () => {
  it('card_and_pin: the card, then the same person’s PIN within the window', () => {
    build({ mode: 'card_and_pin' });
    hw.typeKeys('583920#');
    expect(sink.types()).toEqual(['access_denied:wrong_mode']);
    hw.presentCard('1234567');
    expect(door.status()).toMatchObject({ relay: 'locked', led: 'awaiting_pin' });
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
    expect(sink.events.at(-1)).toMatchObject({ event_type: 'access_granted', credential_type: 'Card+PIN', person_id: 1 });
  });

  it('card_and_pin across one Wiegand reader: the card frame, then the PIN as 8-bit key frames', () => {
    build({ mode: 'card_and_pin' });
    hw.sendWiegand([encodeCardNumber('h10301', 1234567n)]);
    expect(door.status()).toMatchObject({ relay: 'locked', led: 'awaiting_pin' });
    hw.sendWiegand([...'583920#'].map((k) => encodeKey(k as '5', 8)));
    expect(door.status().relay).toBe('unlocked');
    expect(sink.events.at(-1)).toMatchObject({ event_type: 'access_granted', credential_type: 'Card+PIN', person_id: 1 });
  });

  it('card_and_pin: another person’s PIN is a wrong PIN, and a late PIN is refused', () => {
    build({ mode: 'card_and_pin' });
    hw.presentCard('1234567');
    hw.typeKeys('740163#');
    expect(sink.types().at(-1)).toBe('access_denied:unknown_credential');
    hw.presentCard('1234567');
    clock.advance(15_000);
    hw.typeKeys('583920#');
    expect(sink.types().at(-1)).toBe('access_denied:wrong_mode');
    expect(door.status().unlock_count).toBe(0);
  });

  it('pin-only and card-only doors refuse the other kind', () => {
    build({ mode: 'pin' });
    hw.presentCard('1234567');
    expect(sink.types()).toEqual(['access_denied:wrong_mode']);
    door.stop();
    sink.events = [];
    build({ mode: 'card' });
    hw.typeKeys('583920#');
    expect(sink.types()).toEqual(['access_denied:wrong_mode']);
  });
});

describe('door controller: contact and REX', () => {
  it('opening without a grant is door_forced_open; standing open raises door_held_open', () => {
    build({ held_open_s: 30 });
    hw.setDoor(true);
    expect(sink.types()).toEqual(['door_forced_open']);
    clock.advance(30_000);
    expect(sink.types()).toEqual(['door_forced_open', 'door_held_open']);
    expect(door.status().door).toBe('open');
  });

  it('a grant, then open and close: a normal passage, relocked on close', () => {
    build();
    hw.presentCard('1234567');
    hw.setDoor(true);
    hw.setDoor(false);
    expect(sink.types()).toEqual(['access_granted', 'door_opened', 'door_closed']);
    expect(door.status().relay).toBe('locked');
  });

  it('REX unlocks and records event code 30', () => {
    build();
    hw.pressRex();
    expect(door.status()).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    expect(sink.events[0]).toMatchObject({ event_type: 'rex', event_code: 30 });
    hw.setDoor(true);
    expect(sink.types().at(-1)).toBe('door_opened');
  });
});

describe('door controller: remote unlock with a PIN (require_code)', () => {
  it('opens for a person’s PIN and names them; wrong PINs share the keypad’s lockout with the keypad', async () => {
    build();
    expect(await door.remoteUnlockWithPin('mqtt', '583920', 2_000)).toEqual({ granted: true, lockedOut: false });
    expect(door.status()).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    expect(sink.events.at(-1)).toMatchObject({
      event_type: 'remote_unlock',
      person_id: 1,
      person_name: 'Person 1',
      source: 'mqtt',
      credential_type: 'PIN',
    });
    clock.advance(2_000);
    expect(door.status().relay).toBe('locked');
    expect(await door.remoteUnlockWithPin('mqtt', '111190')).toEqual({ granted: false, lockedOut: false });
    hw.typeKeys('222290#');
    expect(await door.remoteUnlockWithPin('mqtt', '333390')).toEqual({ granted: false, lockedOut: true });
    // Locked out for the keypad and for remote PINs alike: the right PIN opens neither way.
    expect(await door.remoteUnlockWithPin('mqtt', '583920')).toEqual({ granted: false, lockedOut: true });
    hw.typeKeys('583920#');
    await door.settled();
    expect(door.status()).toMatchObject({ relay: 'locked', unlock_count: 1 });
    expect(sink.types()).toEqual([
      'remote_unlock',
      'access_denied:unknown_credential',
      'access_denied:unknown_credential',
      'keypad_locked_out', // as at the keypad: the lockout the third wrong PIN starts, then its refusal
      'access_denied:unknown_credential',
      'access_denied:locked_out',
      'access_denied:locked_out',
    ]);
    expect(JSON.stringify(sink.events)).not.toMatch(/583920|111190|333390/);
  });

  it('answers a refusal only once it is stored, and opens a card-only door for a PIN of someone with access', async () => {
    build({ mode: 'card' });
    let store!: (ok: boolean) => void;
    sink.whenStored = () => new Promise<boolean>((resolve) => (store = resolve));
    let answered = false;
    const refusal = door.remoteUnlockWithPin('mqtt', '111190').then((r) => ((answered = true), r));
    await Promise.resolve();
    expect(answered).toBe(false);
    store(true);
    expect(await refusal).toEqual({ granted: false, lockedOut: false });
    expect(door.status().lockout.failures_last_hour).toBe(1);
    expect((await door.remoteUnlockWithPin('mqtt', '740163')).granted).toBe(true);
  });
});
