import { describe, expect, it } from 'vitest';
import { DENY_REASONS, type CredentialKind } from '../../src/core/decision.js';
import { denyCode, grantCode } from '../../src/core/event-codes.js';
import { ALARM_EVENT_TYPES, DOOR_EVENT_CODES, DOOR_SCOPED_EVENT_TYPES, EVENT_TYPES, isEventType } from '../../src/core/event-types.js';
import { HA_EVENT_TYPES } from '../../src/mqtt/discovery.js';

const KINDS: CredentialKind[] = ['PIN', 'Card'];

describe('the event type table', () => {
  it('gives every fixed-code type its own code, outside the decision ranges (10-29)', () => {
    const codes = Object.values(DOOR_EVENT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code < 10 || code > 29).toBe(true);
  });

  it('gives DoorFlow’s 22 to a channel lockdown only, never to a keypad or reader lockout', () => {
    for (const kind of KINDS) for (const reason of DENY_REASONS) expect(denyCode(kind, reason) === 22).toBe(reason === 'lockdown');
    expect(denyCode('PIN', 'locked_out')).toBe(24);
    expect(denyCode('Card', 'locked_out')).toBe(20);
    expect([grantCode('PIN'), grantCode('Card'), grantCode('Card+PIN')]).toEqual([11, 10, 10]);
  });

  it('feeds Home Assistant’s event_types: exactly the types that happen at a door, in table order', () => {
    const atDoor = Object.entries(EVENT_TYPES)
      .filter(([, info]) => info.scope === 'door')
      .map(([type]) => type);
    expect([...HA_EVENT_TYPES]).toEqual(atDoor);
    expect(HA_EVENT_TYPES).toEqual(DOOR_SCOPED_EVENT_TYPES);
    expect(HA_EVENT_TYPES).toContain('card_reader_locked_out');
    expect(HA_EVENT_TYPES).not.toContain('sync_failed');
  });

  it('marks alarms and recognises only its own types', () => {
    expect(ALARM_EVENT_TYPES.has('door_forced_open')).toBe(true);
    expect(ALARM_EVENT_TYPES.has('access_granted')).toBe(false);
    expect(isEventType('keypad_alarm')).toBe(true);
    expect(isEventType('toString')).toBe(false);
  });
});
