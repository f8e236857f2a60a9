/** The discovery builder on its own (no broker): names, devices, availability and require_code, row by row. */
import { describe, expect, it } from 'vitest';
import { CONTROLLER_ENTITIES, discoveryMessages, DOOR_ENTITIES, type DiscoveryInput } from '../../src/mqtt/discovery.js';
import { SITE_CONTROLLER_ENTITIES, SITE_DOOR_ENTITIES } from '../../src/mqtt/site-discovery.js';
import { parseCommand } from '../../src/mqtt/commands.js';
import { CommandIntake } from '../../src/mqtt/command-intake.js';
import { topics } from '../../src/mqtt/topics.js';

const input = (over: Partial<DiscoveryInput> = {}): DiscoveryInput => ({
  prefix: 'homeassistant',
  node: 'n1',
  version: '0.1.0',
  doors: [
    { id: 1, name: 'Front Door', pin: { min: 4, max: 8 } },
    { id: 7, name: 'Gate', pin: { min: 6, max: 6 } },
  ],
  topics: topics('keypadd', 'n1', [1, 7]),
  commands: true,
  requireCode: false,
  ...over,
});

type Payload = Record<string, unknown> & { name: string | null; device: Record<string, unknown>; unique_id: string };
const payloads = (i: DiscoveryInput) => discoveryMessages(i).filter((m) => m.payload !== null) as { topic: string; payload: Payload }[];

describe('Home Assistant discovery messages', () => {
  it('gives every entity of a door the door’s device (via the controller) and both availabilities; the rest the controller’s', () => {
    const all = payloads(input());
    // Per door: 5 of the 6 rows (lock or lock sensor) and the 2 site-operation rows; the controller's 2 and the site switch.
    expect(all).toHaveLength(2 * (5 + SITE_DOOR_ENTITIES.length) + CONTROLLER_ENTITIES.length + SITE_CONTROLLER_ENTITIES.length);
    expect(discoveryMessages(input())).toHaveLength(
      2 * (DOOR_ENTITIES.length + SITE_DOOR_ENTITIES.length) + CONTROLLER_ENTITIES.length + SITE_CONTROLLER_ENTITIES.length,
    );
    for (const { topic, payload } of all) {
      const door = /\/door(\d+)/.exec(topic)?.[1];
      expect(payload.unique_id.startsWith('keypadd_n1_')).toBe(true);
      expect(payload.availability_mode).toBe('all');
      if (door) {
        expect(payload.device).toMatchObject({ identifiers: [`keypadd_n1_door${door}`], via_device: 'keypadd_n1' });
        expect(payload.availability).toContainEqual(expect.objectContaining({ topic: `keypadd/n1/${door}/availability` }));
      } else {
        expect(payload.device).toMatchObject({ identifiers: ['keypadd_n1'], name: 'keypadd n1' });
        expect(payload.availability).toEqual([expect.objectContaining({ topic: 'keypadd/n1/availability' })]);
      }
    }
    // Names as HA composes them: the device's name first, so the entity's own part never repeats the door's.
    const gate = all.filter((m) => m.topic.includes('/door7')).map((m) => m.payload.name);
    expect(gate.sort()).toEqual(['Access', 'Auto-unlock', 'Contact', 'Keypad lockout', 'Last access', 'Lockdown', null].sort());
    expect(new Set(all.map((m) => m.payload.unique_id)).size).toBe(all.length);
  });

  it('shows an unknown last access (None), not a word, and carries the lockout’s until as an attribute', () => {
    const all = payloads(input());
    const last = all.find((m) => m.topic.endsWith('door1_last_access/config'))!.payload;
    expect(last.value_template).toBe('{{ value_json.last_access.label if value_json.last_access else None }}');
    expect(last.json_attributes_template).toBe('{{ (value_json.last_access or {}) | tojson }}');
    const lockout = all.find((m) => m.topic.endsWith('door1_lockout/config'))!.payload;
    expect(lockout.json_attributes_template).toBe('{{ value_json.lockout | tojson }}');
  });

  it('with require_code, asks for a code of each door’s PIN lengths and sends it in the command', () => {
    const locks = payloads(input({ requireCode: true })).filter((m) => m.topic.startsWith('homeassistant/lock/'));
    expect(locks.map((m) => m.payload.code_format)).toEqual(['^\\d{4,8}$', '^\\d{6,6}$']);
    expect(locks[0]!.payload).toMatchObject({ payload_unlock: 'unlock', payload_lock: 'lock' });
    // What HA renders from command_template, with and without a code.
    const template = String(locks[0]!.payload.command_template);
    const render = (value: string, code: string | null) =>
      template
        .replace('{{ value }}', value)
        .replace(/\{% if code %\}(.*)\{% endif %\}/, code ? '$1' : '')
        .replace('{{ code }}', code ?? '');
    expect(JSON.parse(render('unlock', '4821'))).toEqual({ command: 'unlock', code: '4821' });
    expect(JSON.parse(render('lock', null))).toEqual({ command: 'lock' });
    expect(payloads(input()).find((m) => m.topic.startsWith('homeassistant/lock/'))!.payload).not.toHaveProperty('code_format');
  });

  it('removes the lock and shows a lock sensor when HA may not operate it', () => {
    const msgs = discoveryMessages(input({ commands: false }));
    expect(msgs.find((m) => m.topic === 'homeassistant/lock/n1/door1/config')!.payload).toBeNull();
    expect(msgs.find((m) => m.topic === 'homeassistant/binary_sensor/n1/door1_lock/config')!.payload).toMatchObject({
      name: 'Lock',
      device_class: 'lock',
    });
  });
});

describe('a command’s code', () => {
  it('is digits only, and a refusal never repeats it', () => {
    expect(parseCommand(Buffer.from('{"command":"unlock","code":"4821"}'))).toEqual({ ok: true, value: { command: 'unlock', code: '4821' } });
    for (const bad of ['"48a21"', '4821', '""', '"12345678901234567"']) {
      const r = parseCommand(Buffer.from(`{"command":"unlock","code":${bad}}`));
      expect(r).toEqual({ ok: false, reason: 'code: must be a string of 1 to 16 digits', command: 'unlock' });
    }
  });

  it('is required for every unlock with require_code, and refused without it', () => {
    const run = (requireCode: boolean, payload: string) => {
      const executed: unknown[] = [];
      const answers: unknown[] = [];
      const intake = new CommandIntake({
        topics: topics('keypadd', 'n1', [1]),
        requireCode,
        auth: null,
        clockTrusted: () => true,
        execute: (_door, command) => executed.push(command),
        answer: (_door, result) => answers.push(result),
        refused: () => undefined,
      });
      intake.onMessage('keypadd/n1/1/set', Buffer.from(payload), false);
      return { executed, answers };
    };
    expect(run(true, '{"command":"unlock"}').answers).toEqual([
      { command: 'unlock', accepted: false, reason: 'code: required for unlock (mqtt.homeassistant.require_code: true)' },
    ]);
    expect(run(true, '{"command":"unlock","code":"4821"}').executed).toEqual([{ command: 'unlock', code: '4821' }]);
    expect(run(true, '{"command":"lock"}').executed).toEqual([{ command: 'lock' }]);
    // hold_unlocked unlocks with no person behind it: refused with require_code, obeyed without.
    expect(run(true, '{"command":"hold_unlocked"}')).toEqual({
      executed: [],
      answers: [
        {
          command: 'hold_unlocked',
          accepted: false,
          reason: 'command: hold_unlocked is refused over MQTT with mqtt.homeassistant.require_code: true (use the API or the CLI)',
        },
      ],
    });
    expect(run(false, '{"command":"hold_unlocked"}').executed).toEqual([{ command: 'hold_unlocked' }]);
    expect(run(false, '{"command":"unlock","code":"4821"}').answers).toEqual([
      { command: 'unlock', accepted: false, reason: 'code: only with mqtt.homeassistant.require_code: true' },
    ]);
  });
});
