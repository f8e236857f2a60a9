/** The gpiod backend's configuration (opt-in per reader, clear errors) and its `keypadd doctor` checks. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { gpiodChecks } from '../../src/ops/doctor-gpiod.js';
import { FAKE_GPIOMON } from '../helpers/fake-gpiomon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function scratch(): string {
  const d = scratchDir('keypadd-gpiod-config-');
  cleanups.push(d.remove);
  return d.dir;
}

function load(wiegand: string) {
  const dir = scratch();
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `doors:\n  - id: 1\n    name: Front Door\n    hardware:\n      relay: { pin: 17 }\n      wiegand: { d0: 5, d1: 6${wiegand} }\n`,
  );
  return loadConfig({ env: {}, configPath: file }).config;
}

function problems(wiegand: string): string[] {
  try {
    load(wiegand);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('gpiod reader configuration', () => {
  it('keeps onoff the default, and takes backend gpiod with the chip and gpiomon defaults', () => {
    expect(load('').doors[0]!.hardware!.wiegand).toMatchObject({ backend: 'onoff' });
    expect(load(', backend: gpiod').doors[0]!.hardware!.wiegand).toMatchObject({
      backend: 'gpiod',
      gpiod_chip: 'gpiochip0',
      gpiomon_path: 'gpiomon',
    });
  });

  it('refuses an unknown backend, a chip that would be read as an option, and an empty gpiomon path, naming the field', () => {
    expect(problems(', backend: pigpio').join('\n')).toMatch(/doors\[0\]\.hardware\.wiegand\.backend/);
    expect(problems(', backend: gpiod, gpiod_chip: "-c"').join('\n')).toMatch(
      /doors\[0\]\.hardware\.wiegand\.gpiod_chip.*must be a chip name, number, path or label without spaces, not starting with -/,
    );
    expect(problems(', backend: gpiod, gpiomon_path: ""').join('\n')).toMatch(/doors\[0\]\.hardware\.wiegand\.gpiomon_path/);
  });
});

describe('keypadd doctor on a gpiod reader', () => {
  it('fails when gpiomon is not installed, with the package to install', () => {
    const config = load(', backend: gpiod');
    expect(gpiodChecks(config, { PATH: scratch() }, scratch())).toEqual([
      expect.objectContaining({ name: 'door 1 Wiegand gpiod', verdict: 'fail', detail: expect.stringContaining('gpiomon not found on PATH') }),
    ]);
    expect(gpiodChecks(config, { PATH: scratch() })[0]!.fix).toMatch(/apt install gpiod/);
  });

  it('fails on a missing chip device, passes with gpiomon on PATH and the chip there, and says nothing for onoff readers', () => {
    const bin = scratch();
    const dev = scratch();
    writeFileSync(join(bin, 'gpiomon'), '#!/bin/sh\n');
    chmodSync(join(bin, 'gpiomon'), 0o755);
    const config = load(', backend: gpiod');
    expect(gpiodChecks(config, { PATH: bin }, dev)).toEqual([
      expect.objectContaining({ verdict: 'fail', detail: `${join(dev, 'gpiochip0')} does not exist`, fix: expect.stringContaining('gpiodetect') }),
    ]);
    writeFileSync(join(dev, 'gpiochip0'), '');
    expect(gpiodChecks(config, { PATH: bin }, dev)).toEqual([
      expect.objectContaining({ verdict: 'pass', detail: `${join(bin, 'gpiomon')} on ${join(dev, 'gpiochip0')}, offsets D0 5 D1 6` }),
    ]);
    expect(gpiodChecks(load(`, backend: gpiod, gpiomon_path: ${JSON.stringify(FAKE_GPIOMON)}, gpiod_chip: pinctrl-bcm2711`), {})).toEqual([
      expect.objectContaining({ verdict: 'pass' }),
    ]);
    expect(gpiodChecks(load(''), { PATH: bin }, dev)).toEqual([]);
  });
});
