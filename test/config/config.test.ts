import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { doorPinRules } from '../../src/config/policy.js';
import { configSchema } from '../../src/config/schema.js';
import { envName, listSettings } from '../../src/config/schema-walk.js';
import { describeOrigins } from '../../src/config/origins.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function configFile(yaml: string): string {
  const d = scratchDir();
  cleanups.push(d.remove);
  const file = join(d.dir, 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('uses built-in defaults when the default file does not exist', () => {
    const { config, source } = loadConfig({ env: { KEYPADD_CONFIG: undefined }, configPath: undefined });
    // The default path (/etc/keypadd/config.yaml) is absent on a test machine.
    expect(source).toBe('built-in defaults');
    expect(config.data_dir).toBe('/var/lib/keypadd');
    expect(config.doors).toEqual([
      expect.objectContaining({
        id: 1,
        name: 'Front Door',
        mode: 'card_or_pin',
        unlock_ms: 5000,
        fail_safe: false,
        keypad: { timeout_s: 10, submit_on_length: null },
      }),
    ]);
    expect(config.lockout).toEqual({
      attempts: 3,
      window_s: 60,
      duration_s: 30,
      max_duration_s: 900,
      max_per_hour: 12,
      alarm_after: 10,
      level_decay_s: 3600,
      cards: {
        enabled: true,
        attempts: 5,
        window_s: 60,
        duration_s: 30,
        max_duration_s: 300,
        max_per_hour: 60,
        alarm_after: 10,
        level_decay_s: 3600,
      },
    });
    expect(config.access.default_role).toBe('Everyone');
    expect(config.pin_policy).toEqual({
      min_length: 4,
      max_length: 8,
      generated_length: 6,
      weak_pins: 'warn',
      custom: 'allow',
      storage: 'digest',
      duress: 'off',
    });
    expect(config.site.time_zone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('refuses a named config file that does not exist', () => {
    expect(problems(() => loadConfig({ configPath: '/nonexistent/keypadd.yaml', env: {} }))).toEqual(['/nonexistent/keypadd.yaml: file not found']);
    expect(problems(() => loadConfig({ env: { KEYPADD_CONFIG: '/nonexistent/k.yaml' } }))).toEqual(['/nonexistent/k.yaml: file not found']);
  });

  it('reads a YAML file, with a door override of the PIN policy', () => {
    const file = configFile(`
site:
  time_zone: Europe/London
data_dir: /srv/keypadd
pin_policy:
  weak_pins: reject
doors:
  - id: 1
    name: Front Door
  - id: 2
    name: Server Room
    pin_policy: { min_length: 6 }
`);
    const { config, source } = loadConfig({ configPath: file, env: {} });
    expect(source).toBe(file);
    expect(config.pin_policy.weak_pins).toBe('reject');
    expect(doorPinRules(config, config.doors[1]!)).toEqual({ min_length: 6, max_length: 8, generated_length: 6, weak_pins: 'reject' });
  });

  it('reports every violation at once as path: message', () => {
    const file = configFile(`
site:
  time_zone: Mars/Base
pin_policy:
  min_length: 3
  storage: rot13
doors:
  - id: 1
    name: ""
  - id: 1
    name: Back
    colour: red
unknown_top: 1
`);
    expect(problems(() => loadConfig({ configPath: file, env: {} })).sort()).toEqual(
      [
        'doors[0].name: Too small: expected string to have >=1 characters',
        'doors[1].colour: unknown setting (check the spelling)',
        'pin_policy.min_length: Too small: expected number to be >=4',
        'pin_policy.storage: Invalid option: expected one of "digest"|"plaintext"',
        'site.time_zone: not a known IANA time zone name (for example Europe/London)',
        'unknown_top: unknown setting (check the spelling)',
      ].sort(),
    );
  });

  it('checks lengths against each other, door overrides included', () => {
    const file = configFile(`
pin_policy: { min_length: 6, max_length: 8, generated_length: 5 }
doors:
  - { id: 1, name: A, pin_policy: { max_length: 5 } }
  - { id: 1, name: B }
`);
    expect(problems(() => loadConfig({ configPath: file, env: {} })).sort()).toEqual([
      'doors[0].pin_policy.min_length: must not exceed max_length (5)',
      'doors[1].id: door id 1 is used twice',
      'pin_policy.generated_length: must be within min_length and max_length (6-8)',
    ]);
  });

  it('reports YAML syntax errors with file, line and column', () => {
    const file = configFile('site:\n  time_zone: [unclosed\n');
    const [problem] = problems(() => loadConfig({ configPath: file, env: {} }));
    expect(problem).toMatch(new RegExp(`^${file}:\\d+:\\d+: `));
  });

  it('refuses a top level that is not a mapping', () => {
    const file = configFile('- just\n- a list\n');
    expect(problems(() => loadConfig({ configPath: file, env: {} }))).toEqual([`${file}: the top level must be a mapping of settings (key: value)`]);
  });

  it('takes KEYPADD_ environment overrides over the file, typed by the schema', () => {
    const file = configFile('pin_policy: { min_length: 4 }\nsite: { name: Lab }\n');
    const { config } = loadConfig({
      configPath: file,
      env: {
        KEYPADD_PIN_POLICY__MIN_LENGTH: '5',
        KEYPADD_SITE__NAME: '0042', // a string setting keeps its text
        KEYPADD_DOORS: '[{id: 3, name: Garage}]',
        KEYPADD_DATA_DIR: '/tmp/kp',
      },
    });
    expect(config.pin_policy.min_length).toBe(5);
    expect(config.site.name).toBe('0042');
    expect(config.doors).toEqual([expect.objectContaining({ id: 3, name: 'Garage', mode: 'card_or_pin' })]);
    expect(config.data_dir).toBe('/tmp/kp');
  });

  it('names the variable behind a bad override, and refuses unknown KEYPADD_ variables', () => {
    expect(
      problems(() =>
        loadConfig({ configPath: configFile(''), env: { KEYPADD_PIN_POLICY__MAX_LENGTH: 'ten', KEYPADD_MQTT_URL: 'x', KEYPADD_TEST_GPIO: '1' } }),
      ).sort(),
    ).toEqual([
      'KEYPADD_MQTT_URL: unknown setting (see `keypadd config describe` for the names)',
      'pin_policy.max_length (from KEYPADD_PIN_POLICY__MAX_LENGTH): Invalid input: expected number, received string',
    ]);
  });

  it('--data-dir wins over the environment and the file', () => {
    const file = configFile('data_dir: /from/file\n');
    expect(loadConfig({ configPath: file, dataDir: 'rel/dir', env: { KEYPADD_DATA_DIR: '/from/env' } }).config.data_dir).toBe(
      join(process.cwd(), 'rel/dir'),
    );
  });

  it('documents every setting in the README, so the docs cannot drift from the schema', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const s of listSettings(configSchema).filter((x) => !x.inList)) expect(readme, s.path.join('.')).toContain(`\`${envName(s.path)}\``);
  });

  it('describes every setting with an environment name', () => {
    const settings = listSettings(configSchema);
    for (const s of settings) expect(s.description, s.path.join('.')).not.toBe('');
    expect(settings.filter((s) => !s.inList).map((s) => envName(s.path))).toEqual(
      expect.arrayContaining(['KEYPADD_SITE__TIME_ZONE', 'KEYPADD_DATA_DIR', 'KEYPADD_PIN_POLICY__WEAK_PINS', 'KEYPADD_DOORS']),
    );
  });

  it('takes mqtt.homeassistant as true/false (as before) or { enabled, require_code }, and names a bad one', () => {
    const ha = (yaml: string, env: Record<string, string> = {}) =>
      loadConfig({ env: { KEYPADD_CONFIG: undefined, ...env }, configPath: configFile(yaml) }).config.mqtt.homeassistant;
    expect(ha('mqtt: { homeassistant: true }')).toEqual({ enabled: true, require_code: false });
    expect(ha('mqtt: {}')).toEqual({ enabled: false, require_code: false });
    expect(ha('mqtt: { homeassistant: { require_code: true } }')).toEqual({ enabled: true, require_code: true });
    expect(ha('mqtt: {}', { KEYPADD_MQTT__HOMEASSISTANT: '{ enabled: true, require_code: true }' })).toEqual({ enabled: true, require_code: true });
    expect(problems(() => ha('mqtt: { homeassistant: yes }'))).toEqual([
      'mqtt.homeassistant: must be true, false or { enabled: true, require_code: true }',
    ]);
    expect(problems(() => ha('mqtt: { homeassistant: { require_code: true, code: 1234 } }'))).toEqual([
      'mqtt.homeassistant.code: unknown setting (check the spelling)',
    ]);
  });
});

describe('where each setting came from', () => {
  it('names the file, the variable, --data-dir or the default for every setting, item by item in lists', () => {
    const file = configFile('mqtt: { url: "mqtt://broker:1883" }\ndoors:\n  - { id: 1, name: Side }\n  - { id: 2, name: Back, unlock_ms: 3000 }\n');
    const loaded = loadConfig({ configPath: file, dataDir: '/tmp/keypadd-origins', env: { KEYPADD_LOCKOUT__CARDS__ALARM_AFTER: '7' } });
    const rows = new Map(describeOrigins(loaded.config, loaded.origins).map((r) => [r.setting, r]));
    expect(rows.get('mqtt.url')).toEqual({ setting: 'mqtt.url', value: 'mqtt://broker:1883', origin: `file ${file}` });
    expect(rows.get('lockout.cards.alarm_after')).toEqual({
      setting: 'lockout.cards.alarm_after',
      value: 7,
      origin: 'environment KEYPADD_LOCKOUT__CARDS__ALARM_AFTER',
    });
    expect(rows.get('data_dir')?.origin).toBe('--data-dir');
    expect(rows.get('doors[1].unlock_ms')).toMatchObject({ value: 3000, origin: `file ${file}` });
    // A door the file gives takes its other settings from the defaults, and they say so.
    expect(rows.get('doors[0].unlock_ms')).toMatchObject({ value: 5000, origin: 'default' });
    expect(rows.get('api.listen')).toMatchObject({ value: '127.0.0.1:8425', origin: 'default' });
  });
});
