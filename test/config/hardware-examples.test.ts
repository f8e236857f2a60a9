/** Every example config in hardware/examples validates against the one schema, and the pin map has no clash. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { INSTALLED_PIN_KEY } from '../../src/storage/pin-key.js';

const dir = new URL('../../hardware/examples/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('hardware/examples', () => {
  it('has the three supported setups', () => {
    expect(files.sort()).toEqual(['serial-keypad-relay.yaml', 'two-doors.yaml', 'wiegand-relay.yaml']);
  });

  it.each(files)('%s is a valid keypadd config with every door wired', (file) => {
    const { config } = loadConfig({ configPath: join(dir, file), env: {} });
    for (const d of config.doors) expect(d.hardware?.relay.pin, `door ${d.id}`).toBeTypeOf('number');
  });

  it.each(files)('%s points pin_key_file at the key install.sh installs, as the installed example config does', (file) => {
    const { config } = loadConfig({ configPath: join(dir, file), env: {} });
    expect(config.pin_key_file).toBe(INSTALLED_PIN_KEY);
    const installed = loadConfig({ configPath: new URL('../../systemd/config.example.yaml', import.meta.url).pathname, env: {} });
    expect(installed.config.pin_key_file).toBe(INSTALLED_PIN_KEY);
    // That install.sh puts the key there is test/systemd/install.test.ts's to prove.
  });

  it('refuses a pin used twice, naming both uses', () => {
    expect(() =>
      loadConfig({
        configPath: join(dir, 'two-doors.yaml'),
        env: { KEYPADD_DOORS: '[{id: 1, name: A, hardware: {relay: {pin: 17}}}, {id: 2, name: B, hardware: {relay: {pin: 26}, rex: {pin: 17}}}]' },
      }),
    ).toThrow('doors[1].hardware.rex.pin: BCM 17 is already used by doors[0].hardware.relay.pin');
  });
});
