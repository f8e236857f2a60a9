import { afterEach, describe, expect, it } from 'vitest';
import { GpioError } from '../../src/drivers/gpio/port.js';
import { findChip, resolveLine } from '../../src/drivers/gpio/sysfs-resolver.js';
import { scratchDir } from '../helpers/scratch.js';
import { PI_MODELS, writeSysfs } from '../helpers/sysfs.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function sysfs(model: keyof typeof PI_MODELS): string {
  const d = scratchDir('keypadd-sysfs-');
  cleanups.push(d.remove);
  return writeSysfs(d.dir, PI_MODELS[model]!);
}

describe('sysfs GPIO numbers from BCM numbers', () => {
  it.each([
    ['pi4-kernel6.1', 'pinctrl-bcm2711', 17],
    ['pi4-kernel6.6', 'pinctrl-bcm2711', 529],
    ['pi5', 'pinctrl-rp1', 588],
    ['pi-zero-w', 'pinctrl-bcm2835', 17],
  ] as const)('%s: BCM17 on %s is sysfs %i', (model, label, number) => {
    const root = sysfs(model);
    const chip = findChip(root, null);
    expect(chip.label).toBe(label);
    expect(resolveLine(chip, 17, root, 'relay')).toBe(number);
  });

  it('takes gpio.chip by label or by base when detection does not fit', () => {
    const root = sysfs('not-a-pi');
    expect(() => findChip(root, null)).toThrow(/no Raspberry Pi GPIO controller .* chips seen: gpiochip0 "INT34C5:00" base 0. Set gpio.chip/);
    expect(findChip(root, 'INT34C5:00').base).toBe(0);
    expect(findChip(sysfs('pi5'), 571).label).toBe('pinctrl-rp1');
    expect(() => findChip(root, 'pinctrl-rp1')).toThrow(/gpio.chip "pinctrl-rp1" matches no GPIO controller/);
  });

  it('names the fix when sysfs GPIO is missing', () => {
    expect(() => findChip('/nonexistent/gpio', null)).toThrow(/GPIO sysfs interface not found at \/nonexistent\/gpio: .*CONFIG_GPIO_SYSFS/);
  });

  it('refuses a number out of range for the controller', () => {
    const root = sysfs('pi-zero-w');
    expect(() => resolveLine(findChip(root, null), 54, root, 'door 1 relay')).toThrow(
      'door 1 relay: BCM 54 is out of range for pinctrl-bcm2835 (0-53)',
    );
  });

  it('names the gpio group when export is not writable', () => {
    const root = sysfs('pi4-kernel6.6');
    const denied = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(() => resolveLine(findChip(root, null), 17, root, 'door 1 relay', denied)).toThrow(GpioError);
    expect(() => resolveLine(findChip(root, null), 17, root, 'door 1 relay', denied)).toThrow(/permission denied .* gpio group/);
  });
});
