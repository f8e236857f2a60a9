/**
 * Configuration that would switch a protection off by accident, given to the real CLI and daemon: a timer too long
 * for Node (it fires at once), a port out of range, a topic prefix that is a wildcard. Every number setting has a
 * minimum and a maximum, and an API reachable without TLS is warned about.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { listSettings } from '../../src/config/schema-walk.js';
import { freePort } from '../helpers/broker.js';
import { Cli } from '../helpers/cli.js';
import { eventually, simDoor } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.splice(0).forEach((f) => f()));

function cli(yaml: string): Cli {
  const d = scratchDir();
  cleanups.push(d.remove);
  return new Cli(d.dir, yaml);
}

const TIMER_MAX_MS = 2 ** 31 - 1;
/** Durations compared with dates, never put in a timer: bounded, but not by what a timer holds. */
const NOT_TIMERS = new Set([
  'events.retention_days',
  'doors[].max_pin_age_days',
  'doors[].pin_expiry_warning_days',
  'sync.full_every_h',
  'sync.max_age_h',
]);
const UNIT_MS: [RegExp, number][] = [
  [/_ms$/, 1],
  [/_s$/, 1000],
  [/_h$/, 3_600_000],
  [/_days$/, 86_400_000],
];

describe('configuration that cannot disable protection by accident', () => {
  it('refuses timers past 2^31-1 ms, ports out of range and wildcard topic prefixes, naming each setting', () => {
    const r = cli(
      [
        'doors: [{ id: 1, name: Front, held_open_s: 1e10, max_unlock_ms: 1e12, keypad: { timeout_s: 1e9 }, card_and_pin_window_s: 1e9 }]',
        'api: { listen: "127.0.0.1:99999" }',
        'mqtt: { discovery_prefix: "#", base_topic: "a//b", reconnect_max_s: 1e9 }',
        'sync: { interval_s: 1000000000 }',
        'events: { retention_days: 1000000000 }',
      ].join('\n') + '\n',
    ).run('config', 'check');
    expect(r.status).toBe(2);
    for (const path of [
      'doors[0].held_open_s',
      'doors[0].max_unlock_ms',
      'doors[0].keypad.timeout_s',
      'doors[0].card_and_pin_window_s',
      'api.listen: the port must be 0-65535',
      'mqtt.discovery_prefix: must be topic levels',
      'mqtt.base_topic: must be topic levels like keypadd or site/keypadd, but it has an empty level',
      'mqtt.reconnect_max_s',
      'sync.interval_s',
      'events.retention_days',
    ]) {
      expect(r.stderr, path).toContain(path);
    }
    expect(cli('mqtt: { base_topic: "$SYS/keypadd" }\n').run('config', 'check').stderr).toContain('mqtt.base_topic: must not start with $');
  });

  it('gives every number setting a minimum and a maximum, and every duration a maximum a Node timer can hold', () => {
    const numbers = listSettings(configSchema).filter((x) => /^(number|integer)/.test(x.kind));
    expect(numbers.length).toBeGreaterThan(40);
    for (const s of numbers) {
      const name = s.path.join('.');
      expect(s.range, name).toBeDefined();
      expect(Number.isFinite(s.range!.min), `${name} min`).toBe(true);
      expect(s.range!.max < Number.MAX_SAFE_INTEGER, `${name} max`).toBe(true);
      const unit = UNIT_MS.find(([re]) => re.test(name))?.[1];
      if (unit !== undefined && !NOT_TIMERS.has(name)) expect(s.range!.max * unit, `${name} as a timer`).toBeLessThanOrEqual(TIMER_MAX_MS);
    }
  });

  it('warns in doctor and in the start log about an API beyond loopback without TLS', async () => {
    const port = await freePort();
    const d = simDoor(`api: { enabled: true, listen: "0.0.0.0:${port}" }\n`, cleanups);
    const doctor = d.cli.run('doctor', '--json');
    const api = (JSON.parse(doctor.stdout) as { name: string; verdict: string; detail: string }[]).find((c) => c.name === 'API');
    expect(api).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('over plain HTTP') });
    await d.start();
    await eventually(
      () => d.stderr,
      (s) => s.includes('API listening'),
      20_000,
    );
    await eventually(
      () => d.stderr,
      (s) => /warn keypadd.api: the API listens on 0\.0\.0\.0:\d+, beyond this machine, over plain HTTP/.test(s),
    );
    expect(d.stderr).toMatch(/warn keypadd.api: the API listens on 0\.0\.0\.0/);
  });
});
