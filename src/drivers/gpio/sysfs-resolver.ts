/**
 * BCM line number -> sysfs GPIO number. onoff writes plain numbers to /sys/class/gpio/export, but on Raspberry Pi
 * OS kernels 6.6+ the SoC's lines start at a base (512 on a Pi 4, 571 on a Pi 5), so BCM17 is 529, not 17
 * (fivdi/onoff #199). The base comes from the gpiochip whose label is the SoC's (or `gpio.chip`, by label or base).
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioError } from './port.js';

/** Labels of the Pi SoC GPIO controllers: Pi 0-3, Pi 4, Pi 5 (RP1). */
export const PI_CHIP_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-bcm2712', 'pinctrl-rp1'];

export interface GpioChip {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export function listChips(sysfsRoot: string): GpioChip[] {
  if (!existsSync(sysfsRoot)) {
    throw new GpioError(
      `GPIO sysfs interface not found at ${sysfsRoot}: keypadd drives GPIO through sysfs (onoff); use a Raspberry Pi OS ` +
        `kernel with CONFIG_GPIO_SYSFS (the default), or check that /sys is mounted`,
      'no_interface',
    );
  }
  return readdirSync(sysfsRoot)
    .filter((n) => n.startsWith('gpiochip'))
    .map((name) => {
      const read = (f: string) => readFileSync(join(sysfsRoot, name, f), 'utf8').trim();
      return { name, label: read('label'), base: Number(read('base')), ngpio: Number(read('ngpio')) };
    })
    .sort((a, b) => a.base - b.base);
}

/** `chip`: a label or a base number chosen by hand (gpio.chip), else the Pi SoC controller found by label. */
export function findChip(sysfsRoot: string, chip: string | number | null): GpioChip {
  const chips = listChips(sysfsRoot);
  const found =
    chip === null
      ? chips.find((c) => PI_CHIP_LABELS.includes(c.label))
      : chips.find((c) => (typeof chip === 'number' ? c.base === chip : c.label === chip || c.name === chip));
  if (!found) {
    const seen = chips.map((c) => `${c.name} "${c.label}" base ${c.base}`).join(', ') || 'none';
    throw new GpioError(
      chip === null
        ? `no Raspberry Pi GPIO controller (${PI_CHIP_LABELS.join(', ')}) under ${sysfsRoot}; chips seen: ${seen}. Set gpio.chip to one of them`
        : `gpio.chip ${JSON.stringify(chip)} matches no GPIO controller under ${sysfsRoot}; chips seen: ${seen}`,
      'no_interface',
    );
  }
  return found;
}

/**
 * The sysfs number for a BCM line, with a clear error when it is out of range or the export file is not writable.
 * `access` is the permission check (root passes every check, so tests inject a refusal).
 */
export function resolveLine(
  chip: GpioChip,
  bcm: number,
  sysfsRoot: string,
  name: string,
  access: (path: string, mode: number) => void = accessSync,
): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= chip.ngpio) {
    throw new GpioError(`${name}: BCM ${bcm} is out of range for ${chip.label} (0-${chip.ngpio - 1})`, 'invalid_line');
  }
  try {
    access(join(sysfsRoot, 'export'), constants.W_OK);
  } catch {
    throw new GpioError(
      `${name}: permission denied on ${join(sysfsRoot, 'export')}: run keypadd as a member of the gpio group ` +
        `(usermod -aG gpio keypadd; the systemd unit sets SupplementaryGroups=gpio)`,
      'permission',
    );
  }
  return chip.base + bcm;
}
