/**
 * `keypadd doctor`'s checks for Wiegand readers on the gpiod backend: gpiomon is installed (Debian package gpiod)
 * and the GPIO chip's character device is there and open to this user (the gpio group on Raspberry Pi OS).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { fail, pass, type Check } from './checks.js';

/** Where `command` runs from: itself when it names a path, else the first executable of that name on PATH, or null. */
export function findExecutable(command: string, path: string | undefined): string | null {
  const candidates = command.includes('/')
    ? [command]
    : (path ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  return candidates.find((file) => canUse(file, constants.X_OK)) ?? null;
}

/** The device of a chip as gpiomon takes it, or null for a label (gpiomon finds it among every chip). */
export function chipDevice(chip: string, devDir = '/dev'): string | null {
  if (chip.startsWith('/')) return chip;
  if (/^\d+$/.test(chip)) return join(devDir, `gpiochip${chip}`);
  if (/^gpiochip\d+$/.test(chip)) return join(devDir, chip);
  return null;
}

export function gpiodChecks(config: Config, env: NodeJS.ProcessEnv = process.env, devDir = '/dev'): Check[] {
  return config.doors.flatMap((door) => {
    const wiegand = door.hardware?.wiegand;
    if (wiegand?.backend !== 'gpiod') return [];
    const name = `door ${door.id} Wiegand gpiod`;
    const gpiomon = findExecutable(wiegand.gpiomon_path, env.PATH);
    if (gpiomon === null)
      return [
        fail(
          name,
          `${wiegand.gpiomon_path} not found${wiegand.gpiomon_path.includes('/') ? '' : ' on PATH'}: the reader cannot be read`,
          'apt install gpiod (libgpiod tools), or set hardware.wiegand.gpiomon_path',
        ),
      ];
    const device = chipDevice(wiegand.gpiod_chip, devDir);
    if (device === null) return [pass(name, `${gpiomon}, chip labelled "${wiegand.gpiod_chip}", D0 ${wiegand.d0} D1 ${wiegand.d1}`)];
    if (!existsSync(device)) return [fail(name, `${device} does not exist`, 'list the chips with gpiodetect and set hardware.wiegand.gpiod_chip')];
    if (!canUse(device, constants.R_OK | constants.W_OK))
      return [
        fail(name, `${device} is not readable and writable by this user`, 'add the keypadd user to the gpio group (udev gives it /dev/gpiochip*)'),
      ];
    return [pass(name, `${gpiomon} on ${device}, offsets D0 ${wiegand.d0} D1 ${wiegand.d1}`)];
  });
}

function canUse(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}
