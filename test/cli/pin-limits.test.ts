/**
 * Issue 20 end to end against `keypadd run --sim`: use-limited PINs (spent durably with the grant), and a person's
 * own unlock time, observed through the sim door's relay.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface EventJson {
  event_type: string;
  reason: string | null;
  person_id: number | null;
  detail: string | Record<string, unknown> | null;
}
const events = (d: SimDaemon) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '1000').events;
const detailOf = (e: EventJson) => (typeof e.detail === 'string' ? (JSON.parse(e.detail) as Record<string, unknown>) : e.detail);

function addPerson(d: SimDaemon, first: string, ...extra: string[]): number {
  return d.cli.json<{ id: number }>('person', 'add', '--first-name', first, '--last-name', 'Test', ...extra).id;
}
function credentialOf(d: SimDaemon, person: number) {
  return d.cli.json<{ person_id: number; enabled: boolean; uses_remaining: number | null }[]>('credential', 'list', '--person', String(person))[0]!;
}

describe('use-limited PINs (pin add --uses)', () => {
  it('a one-time PIN opens once; SIGKILL right after the grant gives no use back: after restart it is uses_exhausted and disabled', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const person = addPerson(d, 'Once');
    const made = d.cli.json<{ uses_remaining: number }>('pin', 'add', '--person', String(person), '--value', '480613', '--uses', '1');
    expect(made.uses_remaining).toBe(1);
    const granted = d.key('480613#');
    expect(granted).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    expect(granted.outcomes).toEqual([expect.objectContaining({ granted: true })]);
    // The power cut comes the moment the door has opened.
    await d.stop('SIGKILL');
    expect(credentialOf(d, person)).toMatchObject({ uses_remaining: 0, enabled: false });
    await d.start();
    const refused = d.key('480613#');
    expect(refused).toMatchObject({ relay: 'locked', unlock_count: 0 });
    expect(refused.outcomes).toEqual([expect.objectContaining({ granted: false, reason: 'uses_exhausted' })]);
    const denied = await eventually(
      () => events(d).filter((e) => e.event_type === 'access_denied'),
      (e) => e.length === 1,
    );
    expect(denied[0]).toMatchObject({ reason: 'uses_exhausted', person_id: person });
    // Not a guess: no lockout is counted against the keypad.
    expect(d.status().lockout.failures_last_hour).toBe(0);
  });

  it('a PIN good for 2 uses opens twice, in quick succession too, and the third entry is refused', async () => {
    const d = simDoor('doors: [{ id: 1, name: Front Door, unlock_ms: 200 }]\n', cleanups);
    await d.start();
    const person = addPerson(d, 'Twice');
    d.cli.json('pin', 'add', '--person', String(person), '--value', '739204', '--uses', '2');
    // Three entries in one go: the second and third are looked up before the first one's spend is committed. The
    // refusal shows at once; each grant once its use is stored.
    const all = d.key('739204#739204#739204#');
    expect(all.outcomes?.map((o) => o.reason ?? 'granted').sort()).toEqual(['granted', 'granted', 'uses_exhausted']);
    expect(all.relay).toBe('unlocked'); // (the second grant may extend the first unlock rather than count a new one)
    const grants = await eventually(
      () => events(d).filter((e) => e.event_type === 'access_granted'),
      (e) => e.length === 2,
    );
    expect(grants.map((e) => detailOf(e)?.['uses_remaining']).sort()).toEqual([0, 1]);
    expect(credentialOf(d, person)).toMatchObject({ uses_remaining: 0, enabled: false });
    expect(JSON.stringify(events(d))).not.toContain('739204');
    expect(d.stderr).not.toContain('739204');
  });

  it('refuses a bad --uses (exit 2 naming the option) and makes no PIN', async () => {
    const d = simDoor('', cleanups);
    const person = addPerson(d, 'Bad');
    const zero = d.cli.run('pin', 'add', '--person', String(person), '--uses', '0');
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('--uses');
    expect(credentialOf(d, person)).toBeUndefined();
  });
});

describe('per-person unlock time (person add/update --unlock-seconds)', () => {
  it('holds the relay for the person’s longer time at the door, and the door’s own time for others', async () => {
    const d = simDoor('doors: [{ id: 1, name: Front Door, unlock_ms: 500 }]\n', cleanups);
    await d.start();
    const slow = addPerson(d, 'Slow', '--unlock-seconds', '6');
    d.cli.json('pin', 'add', '--person', String(slow), '--value', '615208');
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // The demo person keeps the door's 0.5 s: locked again 2 s later.
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked');
    await sleep(2000);
    expect(d.status().relay).toBe('locked');
    // The person's 6 s: still unlocked 2 s later, locked in the end.
    expect(d.key('615208#').relay).toBe('unlocked');
    await sleep(2000);
    expect(d.status().relay).toBe('unlocked');
    await eventually(
      () => d.status().relay,
      (r) => r === 'locked',
      10_000,
    );
    const grant = (
      await eventually(
        () => events(d).filter((e) => e.event_type === 'access_granted' && e.person_id === slow),
        (e) => e.length === 1,
      )
    )[0]!;
    expect(detailOf(grant)).toMatchObject({ unlock_ms: 6000 });
    // Back to the door's own time.
    expect(d.cli.json<{ unlock_seconds: number | null }>('person', 'update', String(slow), '--unlock-seconds', 'door').unlock_seconds).toBe(null);
    expect(d.key('615208#').relay).toBe('unlocked');
    await sleep(2000);
    expect(d.status().relay).toBe('locked');
  });

  it('refuses an unlock time out of bounds, naming the field (exit 2)', () => {
    const d = simDoor('', cleanups);
    const id = addPerson(d, 'Bounds');
    const r = d.cli.run('person', 'update', String(id), '--unlock-seconds', '301');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unlock_seconds');
    const add = d.cli.run('person', 'add', '--first-name', 'X', '--last-name', 'Y', '--unlock-seconds', 'soon');
    expect(add.status).toBe(2);
    expect(add.stderr).toContain('--unlock-seconds');
  });
});

const duressOf = (pin: string) => pin.slice(0, -1) + String((Number(pin.at(-1)) + 1) % 10);

describe('duress (pin_policy.duress: last_digit_plus_one, digest storage)', () => {
  it('the PIN with its last digit + 1 opens the door exactly as the PIN does, and raises a duress alarm (event, log at warning)', async () => {
    const d = simDoor('pin_policy: { duress: last_digit_plus_one }\ndoors: [{ id: 1, name: Front Door, unlock_ms: 300 }]\n', cleanups);
    await d.start();
    const pin = d.demoPin();
    const normal = d.key(`${pin}#`);
    await eventually(
      () => d.status().relay,
      (r) => r === 'locked',
    );
    const duress = d.key(`${duressOf(pin)}#`);
    // Nothing at the door differs: relay, LED, buzzer and what the entry came to.
    expect(duress).toMatchObject({ relay: 'unlocked', unlock_count: 2, led: normal.led, buzzer: normal.buzzer });
    expect(duress.outcomes).toEqual(normal.outcomes);
    const alarms = await eventually(
      () => events(d).filter((e) => e.event_type === 'duress'),
      (e) => e.length === 1,
    );
    expect(alarms[0]).toMatchObject({ person_id: 1 });
    expect(events(d).filter((e) => e.event_type === 'access_granted')).toHaveLength(2);
    // The event log's line for an alarm is at warning ("warn <component>: event #n door 1 ...: duress <person>").
    await eventually(
      () => d.stderr.split('\n'),
      (lines) => lines.some((l) => /^(<4>)?warn \S+: event #\d+ door 1 seq \d+: duress Demo/.test(l)),
    );
    const all = JSON.stringify(events(d)) + d.stderr + d.stdout.replace(`with PIN ${pin}`, '');
    expect(all).not.toContain(pin);
    expect(all).not.toContain(duressOf(pin));
  });

  it('a duress form that is someone else’s real PIN is their grant, with no alarm; with the rule off there is no duress form', async () => {
    const d = simDoor('pin_policy: { duress: last_digit_plus_one }\n', cleanups);
    await d.start();
    const pin = d.demoPin();
    const other = addPerson(d, 'Neighbour');
    d.cli.json('pin', 'add', '--person', String(other), '--value', duressOf(pin));
    expect(d.key(`${duressOf(pin)}#`).outcomes).toEqual([expect.objectContaining({ granted: true, person_name: 'Neighbour Test' })]);
    await eventually(
      () => events(d).filter((e) => e.event_type === 'access_granted'),
      (e) => e.length === 1,
    );
    expect(events(d).filter((e) => e.event_type === 'duress')).toEqual([]);

    const off = simDoor('', cleanups);
    await off.start();
    const offPin = off.demoPin();
    expect(off.key(`${duressOf(offPin)}#`)).toMatchObject({ relay: 'locked', outcomes: [expect.objectContaining({ reason: 'unknown_credential' })] });
  });
});
