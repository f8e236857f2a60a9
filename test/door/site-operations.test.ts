/**
 * The door runtime's site operations on a simulated door and a manual clock: lockdown holds the relay locked and ends
 * a held-open unlock, emergency credentials pass it, REX lockdown refuses the press, relock_at ends an unlock by
 * itself, shifts unlock (first-person-in, last-to-leave), and every mode is saved for a restart and resumed from it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { AccessFacts, CredentialKind } from '../../src/core/decision.js';
import { parseSlot } from '../../src/core/schedule.js';
import type { Holiday, Shift } from '../../src/core/site-calendar.js';
import { DoorController } from '../../src/door/door-controller.js';
import { SiteLockdownState } from '../../src/door/site-lockdown.js';
import { SimDoorHardware } from '../../src/drivers/sim/sim-door.js';
import { createLogger } from '../../src/log.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { PersistedDoorMode } from '../../src/storage/door-mode-repo.js';
import type { NewEvent } from '../../src/storage/event-repo.js';

class Sink {
  events: NewEvent[] = [];
  modes = new Map<number, PersistedDoorMode>();
  record(e: NewEvent): void {
    this.events.push(e);
  }
  saveLockout(): void {}
  saveDoorMode(key: number, mode: PersistedDoorMode): void {
    this.modes.set(key, mode);
  }
  whenStored(): Promise<boolean> {
    return Promise.resolve(true);
  }
  types(): string[] {
    return this.events.map((e) => (e.reason ? `${e.event_type}:${e.reason}` : e.event_type));
  }
}

const person = (id: number, kind: CredentialKind, emergency = false): AccessFacts => ({
  credential: { id: `cred_${id}${kind}`, kind, enabled: true, createdAtMs: Date.parse('2026-01-01T00:00:00Z') },
  person: { id, name: `Person ${id}`, enabled: true, validFromMs: null, validToMs: null, emergency },
  roles: [{ doors: [], slots: [] }],
  reservations: [],
});
const CREDENTIALS: Record<string, AccessFacts> = {
  'PIN:583920': person(1, 'PIN'),
  'PIN:740163': person(2, 'PIN', true),
  'Card:1234567': person(1, 'Card'),
};
const LOCKOUT = {
  attempts: 3,
  windowMs: 60_000,
  durationMs: 30_000,
  maxDurationMs: 900_000,
  maxPerHour: 12,
  alarmAfter: 10,
  levelDecayMs: 3_600_000,
};

let clock: ManualClock;
let hw: SimDoorHardware;
let sink: Sink;
let door: DoorController;
let site: SiteLockdownState;
let shifts: Shift[];
let holidays: Holiday[];

function build(resumedMode?: PersistedDoorMode, doorSettings: Record<string, unknown> = {}): void {
  const config = configSchema.parse({ doors: [{ id: 1, name: 'Front Door', ...doorSettings }] });
  door = new DoorController({
    door: config.doors[0]!,
    hw,
    clock,
    zone: 'Europe/London',
    pinRules: { min_length: 4, max_length: 8, generated_length: 6, weak_pins: 'warn' },
    lockoutPolicy: LOCKOUT,
    cardPolicy: null,
    lookup: (kind, value) => CREDENTIALS[`${kind}:${value}`] ?? null,
    events: sink,
    log: createLogger('test', 'error', () => undefined),
    calendar: { shifts: () => shifts, holidays: () => holidays },
    site,
    resumedMode,
  });
  door.start();
}

/** A restart: the door stops (relay locked), and a new one resumes from what was saved. */
function restart(): void {
  door.stop();
  expect(door.status().relay).toBe('locked');
  hw = new SimDoorHardware();
  site = new SiteLockdownState(sink.modes.get(0), sink, clock);
  build(sink.modes.get(1));
}

beforeEach(() => {
  vi.useFakeTimers();
  clock = new ManualClock('2026-01-14T08:00:00Z'); // A Wednesday, 08:00 in London.
  hw = new SimDoorHardware();
  sink = new Sink();
  site = new SiteLockdownState(undefined, sink, clock);
  shifts = [];
  holidays = [];
});
afterEach(() => {
  door.stop();
  vi.useRealTimers();
});

const ALL = { card: true, rex: false, aux: false };

describe('lockdown at the door', () => {
  it('ends a held-open unlock, locks the relay, refuses a right PIN with code 22, and refuses remote unlocks', () => {
    build();
    expect(door.holdUnlocked('api:admin')).toBe(null);
    expect(door.status()).toMatchObject({ relay: 'unlocked', mode: { description: 'unlock' } });
    door.lockdown(ALL, 'api:admin');
    expect(door.status()).toMatchObject({ relay: 'locked', mode: { description: 'normal' }, lockdown: { card_lockdown: { state: true } } });
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('locked');
    const denied = sink.events.at(-1)!;
    expect(denied).toMatchObject({ event_type: 'access_denied', event_code: 22, reason: 'lockdown', person_id: 1 });
    expect(door.holdUnlocked('api:admin')).toMatch(/locked down/);
    expect(door.remoteUnlock('mqtt')).toMatch(/locked down/);
    expect(door.status().relay).toBe('locked');
    expect(sink.events.find((e) => e.event_type === 'lockdown_started')).toMatchObject({ source: 'api:admin', event_code: 55 });
  });

  it('lets an emergency credential through, recorded as such', () => {
    build();
    door.lockdown(ALL, 'cli');
    hw.typeKeys('740163#');
    expect(door.status().relay).toBe('unlocked');
    expect(sink.events.at(-1)).toMatchObject({ event_type: 'access_granted', person_id: 2, detail: { emergency: true } });
    expect(sink.events.at(-1)!.event_label).toContain('emergency');
  });

  it('counts unknown PINs during a lockdown as guesses, so emergency PINs cannot be guessed freely', () => {
    build();
    door.lockdown(ALL, 'cli');
    hw.typeKeys('111111#222222#333333#');
    expect(door.status().lockout.active).toBe(true);
    hw.typeKeys('740163#');
    expect(door.status().relay).toBe('locked');
  });

  it('refuses REX under a REX lockdown (and only then), recording the refusal', () => {
    build();
    hw.pressRex();
    expect(door.status().relay).toBe('unlocked');
    clock.advance(10_000);
    door.lockdown({ card: false, rex: true, aux: false }, 'cli');
    hw.pressRex();
    expect(door.status().relay).toBe('locked');
    expect(sink.types()).toContain('rex_refused');
    // Cards and PINs still work under a REX-only lockdown.
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
  });

  it('survives a restart, and ends with unlockdown', () => {
    build();
    door.lockdown(ALL, 'cli');
    restart();
    hw.typeKeys('583920#');
    expect(door.status()).toMatchObject({ relay: 'locked', lockdown: { card_lockdown: { state: true } } });
    door.unlockdown('cli');
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
    expect(sink.types()).toContain('lockdown_ended');
  });

  it('a site lockdown locks every door through the shared state, and survives a restart', () => {
    build();
    site.set(ALL, 'mqtt', [door]);
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('locked');
    restart();
    expect(site.active).toBe(true);
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('locked');
    // The door's own unlockdown leaves the site's in force.
    door.unlockdown('cli');
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('locked');
    site.end('mqtt', [door]);
    hw.typeKeys('583920#');
    expect(door.status().relay).toBe('unlocked');
  });
});

describe('unlock until relock_at', () => {
  it('holds the door unlocked past max_unlock_ms, then returns to normal by itself with an event', () => {
    build(undefined, { max_unlock_ms: 60_000 });
    const relockAt = clock.wall + 5 * 60_000;
    expect(door.holdUnlocked('api:admin', relockAt)).toBe(null);
    expect(door.status().mode).toMatchObject({ description: 'unlock', relock_at: '2026-01-14T08:05:00Z' });
    clock.advance(4 * 60_000);
    expect(door.status().relay).toBe('unlocked');
    clock.advance(61_000);
    expect(door.status()).toMatchObject({ relay: 'locked', mode: { description: 'normal', relock_at: null } });
    expect(sink.events.at(-1)).toMatchObject({ event_type: 'unlock_period_ended', source: 'relock_at' });
  });

  it('resumes after a restart, and ends at relock_at even if that passed while it was down', () => {
    build();
    door.holdUnlocked('api:admin', clock.wall + 60_000);
    restart();
    expect(door.status().relay).toBe('unlocked');
    door.stop();
    clock.advance(120_000);
    hw = new SimDoorHardware();
    build(sink.modes.get(1));
    expect(door.status().relay).toBe('locked');
    expect(sink.types()).toContain('unlock_period_ended');
  });

  it('stays held unlocked when the door is opened and closed (relock_on_close ends only a momentary unlock)', () => {
    build(undefined, { relock_on_close: true });
    door.holdUnlocked('api:admin');
    hw.setDoor(true);
    hw.setDoor(false);
    expect(door.status()).toMatchObject({ relay: 'unlocked', mode: { description: 'unlock' } });
    door.backToNormal('api:admin');
    hw.typeKeys('583920#');
    hw.setDoor(true);
    hw.setDoor(false);
    expect(door.status().relay).toBe('locked');
  });

  it('refuses a relock_at in the past', () => {
    build();
    expect(door.holdUnlocked('api:admin', clock.wall - 1000)).toBe('relock_at: must be in the future');
    expect(door.status().relay).toBe('locked');
  });
});

describe('auto-unlock shifts', () => {
  const shift = (over: Partial<Shift> = {}): Shift => {
    const s = parseSlot('mon-fri 09:00-17:00');
    if (!s.ok) throw new Error(s.message);
    return { id: 7, name: 'Office', slots: [s.slot], firstPersonIn: false, lastToLeave: false, ...over };
  };

  it('unlocks at the start of the shift and relocks at its end, with codes 40 and 41', () => {
    shifts = [shift()];
    build();
    expect(door.setAutoUnlock(7, 'api:admin')).toBe(null);
    expect(door.status()).toMatchObject({ relay: 'locked', auto_unlock: { id: 7, name: 'Office', state: 'idle' } });
    clock.advance(3_600_000 + 1000); // 09:00:01
    expect(door.status()).toMatchObject({ relay: 'unlocked', mode: { description: 'unlock' }, auto_unlock: { state: 'unlocked' } });
    clock.advance(8 * 3_600_000);
    expect(door.status().relay).toBe('locked');
    const codes = sink.events.filter((e) => e.event_type.startsWith('auto_unlock_')).map((e) => [e.event_type, e.event_code]);
    expect(codes).toEqual([
      ['auto_unlock_set', 58],
      ['auto_unlock_started', 40],
      ['auto_unlock_ended', 41],
    ]);
  });

  it('with first-person-in, stays locked until the first grant, then stays unlocked', () => {
    shifts = [shift({ firstPersonIn: true })];
    build(undefined, { unlock_ms: 5000 });
    door.setAutoUnlock(7, 'cli');
    clock.advance(3_600_000 + 1000);
    expect(door.status()).toMatchObject({ relay: 'locked', auto_unlock: { state: 'waiting' } });
    hw.typeKeys('583920#');
    clock.advance(60_000);
    expect(door.status()).toMatchObject({ relay: 'unlocked', auto_unlock: { state: 'unlocked' } });
    expect(sink.types()).toEqual(expect.arrayContaining(['auto_unlock_waiting', 'access_granted', 'auto_unlock_started']));
  });

  it('with last-to-leave, stays unlocked after the end until a REX press locks it', () => {
    shifts = [shift({ lastToLeave: true })];
    build();
    door.setAutoUnlock(7, 'cli');
    clock.advance(3_600_000 + 1000); // 09:00:01
    expect(door.status().auto_unlock).toMatchObject({ state: 'unlocked' });
    clock.advance(8 * 3_600_000); // 17:00:01
    expect(door.status()).toMatchObject({ relay: 'unlocked', auto_unlock: { state: 'closing' } });
    hw.pressRex();
    clock.advance(10_000);
    expect(door.status()).toMatchObject({ relay: 'locked', auto_unlock: { state: 'idle' } });
    expect(sink.events.find((e) => e.event_type === 'auto_unlock_ended')).toMatchObject({ reason: 'last_to_leave' });
  });

  it('never unlocks on an untrusted clock, nor on a closed holiday; a lockdown ends it', () => {
    shifts = [shift()];
    clock.isTrusted = false;
    build();
    door.setAutoUnlock(7, 'cli');
    clock.advance(3_600_000 + 1000);
    expect(door.status().relay).toBe('locked');
    clock.isTrusted = true;
    holidays = [{ id: 1, name: 'Closed', date: '01-14', closed: true, slots: [] }];
    clock.advance(2000);
    expect(door.status().relay).toBe('locked');
    holidays = [];
    clock.advance(2000);
    expect(door.status().relay).toBe('unlocked');
    door.lockdown(ALL, 'cli');
    clock.advance(2000);
    expect(door.status().relay).toBe('locked');
  });

  it('resumes a running shift after a restart; refuses a shift that does not exist', () => {
    shifts = [shift()];
    build();
    expect(door.setAutoUnlock(99, 'cli')).toBe('shift_id: no shift 99');
    door.setAutoUnlock(7, 'cli');
    clock.advance(3_600_000 + 1000);
    restart();
    expect(door.status()).toMatchObject({ relay: 'unlocked', auto_unlock: { id: 7 } });
  });
});

describe('remote admission of a person', () => {
  it('admits a person with access, and refuses one during lockdown, both as events with their source', () => {
    build();
    expect(door.admitPerson(person(1, 'PIN'), 'api:admin')).toMatchObject({ granted: true });
    expect(sink.events.at(-1)).toMatchObject({ event_type: 'access_granted', event_code: 15, source: 'api:admin', credential_type: 'Remote' });
    clock.advance(10_000);
    door.lockdown(ALL, 'cli');
    expect(door.admitPerson(person(1, 'PIN'), 'api:admin')).toEqual({ granted: false, reason: 'lockdown' });
    expect(door.status().relay).toBe('locked');
  });
});
