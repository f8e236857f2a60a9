/** Fixture /sys/class/gpio trees modelled on real Raspberry Pis (labels, bases and line counts as those kernels show). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ChipFixture {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export const PI_MODELS: Record<string, ChipFixture[]> = {
  // Pi 4 on a 6.1 kernel (Bullseye): the SoC controller at base 0, the expander above it.
  'pi4-kernel6.1': [
    { name: 'gpiochip0', label: 'pinctrl-bcm2711', base: 0, ngpio: 58 },
    { name: 'gpiochip504', label: 'raspberrypi-exp-gpio', base: 504, ngpio: 8 },
  ],
  // Pi 4 on a 6.6+ kernel (Bookworm): the same controller at base 512 (BCM17 = 529).
  'pi4-kernel6.6': [
    { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
  ],
  // Pi 5: the header lines are on RP1, base 571 on 6.6+; the SoC's own brcmstb controllers sit below it.
  pi5: [
    { name: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
    { name: 'gpiochip544', label: 'gpio-brcmstb@107d508520', base: 544, ngpio: 4 },
    { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 },
  ],
  'pi-zero-w': [{ name: 'gpiochip0', label: 'pinctrl-bcm2835', base: 0, ngpio: 54 }],
  'not-a-pi': [{ name: 'gpiochip0', label: 'INT34C5:00', base: 0, ngpio: 360 }],
};

export function writeSysfs(dir: string, chips: ChipFixture[]): string {
  const root = join(dir, 'sys-class-gpio');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'export'), '');
  writeFileSync(join(root, 'unexport'), '');
  for (const c of chips) {
    mkdirSync(join(root, c.name));
    writeFileSync(join(root, c.name, 'label'), `${c.label}\n`);
    writeFileSync(join(root, c.name, 'base'), `${c.base}\n`);
    writeFileSync(join(root, c.name, 'ngpio'), `${c.ngpio}\n`);
  }
  return root;
}
