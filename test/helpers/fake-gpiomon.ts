/** The fake gpiomon (test/fixtures/fake-gpiomon.mjs): its path, and a plan of what it prints on each start. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeCardNumber } from '../../src/core/wiegand-encoder.js';
import type { CardFormat } from '../../src/core/wiegand.js';

export const FAKE_GPIOMON = fileURLToPath(new URL('../fixtures/fake-gpiomon.mjs', import.meta.url));

/** One step of the fake's plan (see the fixture's header). */
export type FakeGpiomonStep =
  | { frames: string[]; bitMs?: number; gapMs?: number; lateMs?: number }
  | { print: string }
  | { sleep: number }
  | { awaitFile: string }
  | { exit: number; stderr?: string };

/** A card's frame as the fake takes it: its bits as a string of 0 and 1. */
export const cardBits = (format: CardFormat, number: number | string) => encodeCardNumber(format, BigInt(number)).join('');

/** Writes the plan into `dir`; FAKE_GPIOMON_PLAN must name the file in the environment the fake starts with. */
export function fakeGpiomonPlan(dir: string, runs: FakeGpiomonStep[][]) {
  const file = join(dir, 'gpiomon-plan.json');
  writeFileSync(file, JSON.stringify({ runs }));
  return {
    file,
    /** The argv of each start so far. */
    starts: (): string[][] =>
      existsSync(`${file}.args`)
        ? readFileSync(`${file}.args`, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}
