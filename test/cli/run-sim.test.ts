/** End to end: real `keypadd run --sim` processes, driven from another "shell" with the real CLI. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DoorStatusJson, eventually, simDoor } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface EventJson {
  event_type: string;
  person_name: string | null;
  reason: string | null;
  person_id: number | null;
  credential_type: string | null;
  door_seq: number;
  time_trusted: boolean | null;
}
const events = (d: ReturnType<typeof simDoor>) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '100000').events;

describe('keypadd run --sim', () => {
  it('creates a demo person on a fresh data dir whose generated PIN opens the door; events record it', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    expect(pin).toMatch(/^\d{6}$/);
    expect(d.status()).toMatchObject({ relay: 'locked', unlock_count: 0, door: 'closed', lockout: { active: false, until: null } });
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked', unlock_count: 1, led: 'granted' });
    const [granted] = await eventually(
      () => events(d),
      (e) => e.length === 1,
    );
    expect(granted).toMatchObject({ event_type: 'access_granted', person_id: 1, credential_type: 'PIN', door_seq: 1, time_trusted: true });
    expect(JSON.stringify(events(d))).not.toContain(pin);
    expect(d.stderr).not.toContain(pin);
  });

  it('locks the keypad after 3 wrong PINs, refuses the right one, and keeps the lockout across SIGKILL and restart', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    for (const wrong of ['111190', '222290', '333390']) d.key(`${wrong}#`);
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked', unlock_count: 0, led: 'locked_out', lockout: { active: true, level: 1 } });
    await eventually(
      () => events(d),
      (e) => e.some((x) => x.event_type === 'keypad_locked_out'),
    );
    expect(await d.stop('SIGKILL')).toBe(null);
    // The stopped daemon's state is visible...
    expect(d.cli.json<{ door: number; active: boolean }[]>('lockout', 'list')).toEqual([expect.objectContaining({ door: 1, active: true })]);
    await d.start();
    // ...and resumes: the right PIN is still refused.
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked', lockout: { active: true } });
    // An admin can end it on the running daemon.
    expect(d.cli.run('lockout', 'reset', '--door', '1').status).toBe(0);
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked' });
    const types = (
      await eventually(
        () => events(d),
        (e) => e.some((x) => x.event_type === 'lockout_reset'),
      )
    ).map((e) => e.event_type);
    expect(types).toContain('lockout_reset');
  });

  it('resets a stopped daemon’s stored lockout, recording who did it', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    d.key('111190#222290#333390#');
    await d.stop('SIGTERM');
    expect(d.cli.json<{ active: boolean }[]>('lockout', 'list')[0]!.active).toBe(true);
    expect(d.cli.json('lockout', 'reset', '--door', '1')).toEqual({ door: 1, reset: true, daemon_running: false });
    expect(d.cli.json<{ active: boolean }[]>('lockout', 'list')[0]!.active).toBe(false);
    await d.start();
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    expect(events(d).find((e) => e.event_type === 'lockout_reset')).toMatchObject({ door_seq: 5 });
  });

  it('after SIGKILL while unlocked, the restarted daemon drives the relay locked', async () => {
    const d = simDoor('doors: [{ id: 1, name: Front Door, unlock_ms: 60000 }]\n', cleanups);
    await d.start();
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked');
    await d.stop('SIGKILL');
    await d.start();
    expect(d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
  });

  it('10,000 scripted wrong PINs never unlock, and every attempt is stored', async () => {
    const d = simDoor('lockout: { duration_s: 1, max_duration_s: 1 }\n', cleanups);
    await d.start();
    const pin = d.demoPin();
    let seed = 7;
    const wrong: string[] = [];
    while (wrong.length < 10_000) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const p = String(seed % 1_000_000).padStart(6, '0');
      if (p !== pin) wrong.push(p);
    }
    let last: DoorStatusJson | undefined;
    for (let i = 0; i < wrong.length; i += 2000)
      last = d.key(
        wrong
          .slice(i, i + 2000)
          .map((p) => `${p}#`)
          .join(''),
      );
    expect(last).toMatchObject({ relay: 'locked', unlock_count: 0 });
    const stored = await eventually(
      () => events(d),
      (e) => e.filter((x) => x.event_type === 'access_denied').length >= 10_000,
      20_000,
    );
    expect(stored.filter((x) => x.event_type === 'access_denied')).toHaveLength(10_000);
    expect(stored.filter((x) => x.event_type === 'access_granted')).toHaveLength(0);
    expect(stored.some((x) => x.event_type === 'keypad_alarm')).toBe(true);
  }, 60_000);

  it('honours a visitor’s reservation inside its window only', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    d.cli.json('person', 'add', '--first-name', 'Now', '--last-name', 'Visitor', '--visitor');
    d.cli.json('person', 'add', '--first-name', 'Later', '--last-name', 'Visitor', '--visitor');
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    d.cli.json('reservation', 'add', '--person', '2', '--start', iso(now - 3_600_000), '--end', iso(now + 3_600_000));
    d.cli.json('reservation', 'add', '--person', '3', '--start', iso(now + 86_400_000), '--end', iso(now + 90_000_000));
    const inside = d.cli.json<{ value: string }>('pin', 'add', '--person', '2').value;
    const outside = d.cli.json<{ value: string }>('pin', 'add', '--person', '3').value;
    // Admin changes reach the running daemon at the next decision.
    expect(d.key(`${outside}#`).relay).toBe('locked');
    expect(d.key(`${inside}#`).relay).toBe('unlocked');
    const e = await eventually(
      () => events(d),
      (x) => x.length >= 2,
    );
    expect(e.map((x) => [x.person_id, x.event_type, x.reason])).toEqual([
      [2, 'access_granted', null],
      [3, 'access_denied', 'no_reservation'],
    ]);
  });

  it('with an untrusted clock, denies the visitor (clock_untrusted) but not a 24/7 role, and says so in events', async () => {
    const d = simDoor('clock: { trust: timesyncd, timesync_flag: /nonexistent/synchronized }\n', cleanups);
    await d.start();
    const staff = d.demoPin(); // the demo person holds the 24/7 "Everyone" role
    d.cli.json('person', 'add', '--first-name', 'Jane', '--last-name', 'Visitor', '--visitor');
    const now = Date.now();
    d.cli.json(
      'reservation',
      'add',
      '--person',
      '2',
      '--start',
      new Date(now - 60_000).toISOString(),
      '--end',
      new Date(now + 3_600_000).toISOString(),
    );
    const visitor = d.cli.json<{ value: string }>('pin', 'add', '--person', '2').value;
    expect(d.key(`${visitor}#`).relay).toBe('locked');
    expect(d.key(`${staff}#`).relay).toBe('unlocked');
    const e = await eventually(
      () => events(d),
      (x) => x.length >= 2,
    );
    expect(e.map((x) => [x.event_type, x.reason, x.time_trusted])).toEqual([
      ['access_granted', null, false],
      ['access_denied', 'clock_untrusted', false],
    ]);
  });

  it('an admin disabling a credential takes effect at the next decision, without a restart', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    const [cred] = d.cli.json<{ id: string }[]>('credential', 'list');
    d.cli.json('credential', 'disable', cred!.id);
    expect(d.key(`${pin}#`).relay).toBe('locked');
    const e = await eventually(
      () => events(d),
      (x) => x.length >= 1,
    );
    expect(e[0]).toMatchObject({ event_type: 'access_denied', reason: 'credential_disabled', person_id: 1 });
  });

  it('deleting a person removes their credentials and reservations, and keeps their events', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    d.cli.json(
      'reservation',
      'add',
      '--person',
      '1',
      '--start',
      new Date(Date.now() + 86_400_000).toISOString(),
      '--end',
      new Date(Date.now() + 90_000_000).toISOString(),
    );
    const [granted] = await eventually(
      () => events(d),
      (e) => e.length === 1,
    );
    d.cli.json('person', 'delete', '1');
    expect(d.cli.json<unknown[]>('credential', 'list')).toEqual([]);
    expect(d.cli.json<unknown[]>('reservation', 'list', '--all')).toEqual([]);
    expect(d.cli.run('person', 'show', '1').status).toBe(2);
    // The history still says who came in, with what.
    expect(d.cli.json<{ events: EventJson[] }>('event', 'list', '--person', '1').events).toEqual([granted]);
    expect(granted).toMatchObject({ event_type: 'access_granted', person_id: 1, person_name: 'Demo Person', credential_type: 'PIN' });
    // And the deleted PIN opens nothing.
    d.cli.json('sim', 'door', 'open');
    d.cli.json('sim', 'door', 'close');
    expect(d.key(`${pin}#`).unlock_count).toBe(1);
  });

  it('serves control.sock in the data dir, readable and writable by its owner and group only (0660)', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const sock = statSync(join(d.cli.dataDir, 'control.sock'));
    expect(sock.isSocket()).toBe(true);
    expect((sock.mode & 0o777).toString(8)).toBe('660');
  });

  it('drives door, REX and card from another shell; stops cleanly on SIGTERM with every event stored', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    d.cli.json('card', 'add', '--person', '1', '--facility', '12', '--card', '345');
    expect(d.cli.json<DoorStatusJson>('sim', 'door', 'open')).toMatchObject({ door: 'open', relay: 'locked' });
    d.cli.json('sim', 'door', 'close');
    expect(d.cli.json<DoorStatusJson>('sim', 'rex')).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    expect(d.cli.json<DoorStatusJson>('sim', 'card', '786777')).toMatchObject({ relay: 'unlocked' });
    d.cli.json('sim', 'card', '999');
    expect(await d.stop('SIGTERM')).toBe(0);
    expect(d.stderr).toMatch(/stopped; relays locked/);
    expect(
      events(d)
        .map((e) => e.event_type)
        .reverse(),
    ).toEqual(['door_forced_open', 'door_closed', 'rex', 'access_granted', 'access_denied']);
  });

  it('loses no event it has reported stored, when killed with SIGKILL the moment it says so', async () => {
    const d = simDoor('lockout: { attempts: 100 }\n', cleanups);
    await d.start();
    d.key(Array.from({ length: 50 }, (_, i) => `${100000 + i}#`).join(''));
    // The daemon logs each event once its commit is durable: the 50th line is the acknowledgement.
    const reported = () => d.stderr.match(/event #\d+ door 1 seq \d+: access_denied/g)?.length ?? 0;
    await eventually(reported, (n) => n >= 50, 10_000);
    await d.stop('SIGKILL');
    expect(events(d).filter((e) => e.event_type === 'access_denied')).toHaveLength(50);
  });

  it('opens the door for a card and for a PIN typed as 4-bit and 8-bit Wiegand keys; a corrupted frame does not', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    d.cli.json('card', 'add', '--person', '1', '--facility', '123', '--card', '4567');
    const nibble = (k: string) => (k === '#' ? 11 : Number(k)).toString(2).padStart(4, '0');
    const byte = (k: string) => {
      const n = k === '#' ? 11 : Number(k);
      return (((~n & 0xf) << 4) | n).toString(2).padStart(8, '0');
    };
    const card = '10111101100010001110101110'; // H10301 facility 123, card 4567
    const corrupted = '10111101100010001110101111'; // the same with the odd parity bit flipped
    expect(d.cli.json<{ relay: string }>('sim', 'wiegand', corrupted).relay).toBe('locked');
    expect(d.cli.json<{ relay: string; unlock_count: number }>('sim', 'wiegand', card)).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    d.cli.json('sim', 'door', 'open');
    d.cli.json('sim', 'door', 'close'); // relock on close
    expect(d.cli.json<{ unlock_count: number }>('sim', 'wiegand', ...[...`${pin}#`].map(nibble)).unlock_count).toBe(2);
    d.cli.json('sim', 'door', 'open');
    d.cli.json('sim', 'door', 'close');
    expect(d.cli.json<{ unlock_count: number }>('sim', 'wiegand', '--interval-ms', '2', ...[...`${pin}#`].map(byte)).unlock_count).toBe(3);
    expect(d.cli.json<{ unlock_count: number }>('sim', 'card', String(123 * 65536 + 4567)).unlock_count).toBe(3); // still unlocked: no new count
    const e = await eventually(
      () => events(d),
      (x) => x.filter((y) => y.event_type === 'access_granted').length >= 4,
    );
    const kinds = e
      .reverse()
      .filter((x) => ['access_granted', 'read_error'].includes(x.event_type))
      .map((x) => [x.event_type, x.credential_type]);
    expect(kinds).toEqual([
      ['read_error', null],
      ['access_granted', 'Card'],
      ['access_granted', 'PIN'],
      ['access_granted', 'PIN'],
      ['access_granted', 'Card'],
    ]);
    expect(d.cli.run('sim', 'wiegand', '10x1').stderr).toContain('bits: frames of 0 and 1');
  });

  it('records tamper as an alarm event', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    d.cli.json('sim', 'tamper', 'on');
    d.cli.json('sim', 'tamper', 'off');
    const e = await eventually(
      () => events(d),
      (x) => x.length >= 2,
    );
    expect(e.map((x) => x.event_type).reverse()).toEqual(['tamper', 'tamper_cleared']);
    expect(
      await eventually(
        () => d.stderr,
        (x) => /TAMPER/.test(x),
      ),
    ).toMatch(/error keypadd.door1: Front Door: TAMPER alarm \(simulated tamper switch\)/);
  });

  it('refuses sim commands when no daemon runs, and a second daemon on the same data dir', async () => {
    const d = simDoor('', cleanups);
    const none = d.cli.run('sim', 'key', '1234#');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/keypadd is not running on .*start it with: keypadd run --sim/);
    await d.start();
    const second = d.cli.spawn('run', '--sim');
    const code = await new Promise<number | null>((r) => second.once('exit', r));
    expect(code).not.toBe(0);
    expect(d.cli.run('sim', 'key', '12a#').stderr).toContain('"a" is not a keypad key');
    expect(d.status().relay).toBe('locked');
  });
});
