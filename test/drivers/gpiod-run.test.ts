/**
 * End to end: a real `keypadd run --sim` whose door's Wiegand reader uses `backend: gpiod`, read through the fake
 * gpiomon (the rest of the door simulated): a card printed by gpiomon becomes a decision in the event log, a late
 * burst of two frames becomes two decisions, and gpiomon dying is recorded as the reader going offline and back.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor } from '../helpers/daemon.js';
import { FAKE_GPIOMON, cardBits, fakeGpiomonPlan } from '../helpers/fake-gpiomon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface EventJson {
  event_type: string;
  person_id: number | null;
  credential_type: string | null;
  reason: string | null;
}

describe('keypadd run --sim with a gpiod Wiegand reader', () => {
  it('decides on the cards gpiomon prints, a late burst as two decisions, and records gpiomon dying and coming back', async () => {
    const config =
      `doors:\n  - id: 1\n    name: Front Door\n    hardware:\n      relay: { pin: 17 }\n` +
      `      wiegand: { d0: 5, d1: 6, backend: gpiod, gpiod_chip: gpiochip0, gpiomon_path: ${JSON.stringify(FAKE_GPIOMON)} }\n`;
    const d = simDoor(config, cleanups);
    const go = join(d.cli.dataDir, 'go');
    const plan = fakeGpiomonPlan(d.cli.dataDir, [
      [
        { awaitFile: go },
        { frames: [cardBits('h10301', 786777)], bitMs: 2 },
        { sleep: 200 },
        // Known card then an unknown one, 30 ms apart in kernel time, printed together 50 ms late.
        { frames: [cardBits('h10301', 786777), cardBits('h34', 65540242)], bitMs: 1, gapMs: 30, lateMs: 50 },
        { sleep: 300 },
        { exit: 1, stderr: 'gpiomon: error waiting for events: No such device' },
      ],
      [],
    ]);
    process.env.FAKE_GPIOMON_PLAN = plan.file;
    cleanups.push(() => delete process.env.FAKE_GPIOMON_PLAN);
    await d.start();
    d.cli.json('card', 'add', '--person', '1', '--facility', '12', '--card', '345');
    writeFileSync(go, '');
    const events = () => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '100').events.reverse();
    const seen = await eventually(
      () => events(),
      (e) => e.some((x) => x.event_type === 'reader_online'),
      15_000,
    );
    expect(seen.map((e) => e.event_type)).toEqual(['access_granted', 'access_granted', 'access_denied', 'reader_offline', 'reader_online']);
    expect(seen[0]).toMatchObject({ person_id: 1, credential_type: 'Card' });
    expect(plan.starts()).toEqual([
      ['-b', '-F', '%o %e %s %n', '-f', 'gpiochip0', '5', '6'],
      ['-b', '-F', '%o %e %s %n', '-f', 'gpiochip0', '5', '6'],
    ]);
    expect(d.stderr).toMatch(/Wiegand reader offline \(gpiomon exited \(status 1\): gpiomon: error waiting for events: No such device\)/);
    expect(await d.stop('SIGTERM')).toBe(0);
  });
});
