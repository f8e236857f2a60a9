/**
 * Issue 20: a per-person duress PIN (`pin add --duress`) against `keypadd run --sim`, with the site's duress rule off:
 * it opens the door exactly as the person's PIN does, and only a duress alarm event (97) tells; no PIN is logged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface EventJson {
  event_type: string;
  event_code: number;
  person_id: number | null;
  credential_id: string | null;
}
const events = (d: SimDaemon) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '1000').events;

describe('per-person duress PIN (pin add --duress)', () => {
  it('opens the door exactly as the person’s PIN does, and records a duress alarm naming the person', async () => {
    const d = simDoor('doors: [{ id: 1, name: Front Door, unlock_ms: 300 }]\n', cleanups);
    await d.start();
    const pin = d.demoPin();
    const made = d.cli.json<{ id: string; duress: boolean; person_id: number }>('pin', 'add', '--person', '1', '--duress', '--value', '836142');
    expect(made).toMatchObject({ duress: true, person_id: 1 });
    const normal = d.key(`${pin}#`);
    await eventually(
      () => d.status().relay,
      (r) => r === 'locked',
    );
    const duress = d.key('836142#');
    // Nothing at the door differs: relay, LED, buzzer and what the entry came to (the same person's name).
    expect(duress).toMatchObject({ relay: 'unlocked', unlock_count: 2, led: normal.led, buzzer: normal.buzzer });
    expect(duress.outcomes).toEqual(normal.outcomes);
    const alarms = await eventually(
      () => events(d).filter((e) => e.event_type === 'duress'),
      (e) => e.length === 1,
    );
    expect(alarms[0]).toMatchObject({ event_code: 97, person_id: 1, credential_id: made.id });
    expect(events(d).filter((e) => e.event_type === 'access_granted')).toHaveLength(2);
    // The ordinary PIN raises none.
    expect(events(d).filter((e) => e.event_type === 'duress')).toHaveLength(1);
    await eventually(
      () => d.stderr.split('\n'),
      (lines) => lines.some((l) => /^(<4>)?warn \S+: event #\d+ door 1 seq \d+: duress Demo/.test(l)),
    );
    const all = JSON.stringify(events(d)) + d.stderr + d.stdout.replace(`with PIN ${pin}`, '');
    expect(all).not.toContain(pin);
    expect(all).not.toContain('836142');
    // The list tells it apart; the person keeps their PIN beside it.
    const listed = d.cli.run('credential', 'list', '--person', '1');
    expect(listed.stdout).toContain('PIN (duress)');
    expect(
      d.cli
        .json<{ duress: boolean }[]>('credential', 'list', '--person', '1')
        .map((c) => c.duress)
        .sort(),
    ).toEqual([false, true]);
  }, 60_000);

  it('refuses a second duress PIN for the same person, naming duress, and a disabled one opens nothing', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    d.cli.json('pin', 'add', '--person', '1', '--duress', '--value', '902716');
    const again = d.cli.run('pin', 'add', '--person', '1', '--duress', '--value', '471093');
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('duress');
    const id = d.cli.json<{ id: string; duress: boolean }[]>('credential', 'list', '--person', '1').find((c) => c.duress)!.id;
    d.cli.json('credential', 'disable', id);
    expect(d.key('902716#')).toMatchObject({ relay: 'locked', outcomes: [expect.objectContaining({ granted: false })] });
  }, 60_000);
});
