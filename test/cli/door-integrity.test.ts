/**
 * The door's promises at their edges, against real `keypadd run --sim` children: a lockout that neither a valid PIN
 * nor a restart walks around, relays locked before anything else and by every exit, one daemon per data dir, and no
 * demo door on real data. The simulated relay keeps its level in a file, as a sysfs GPIO value does on a Pi.
 */
import Database from 'better-sqlite3';
import { execFile, spawn } from 'node:child_process';
import { existsSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv } from '../helpers/cli.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface EventJson {
  event_type: string;
  reason: string | null;
  person_id: number | null;
  door_seq: number | null;
}
const events = (d: SimDaemon) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '100000').events.reverse();
const relayFile = (d: SimDaemon, door = 1) => join(d.cli.dataDir, 'sim-gpio', `door${door}-relay`);
/** The simulated relay line's level as the dead (or living) process left it: true = energised. */
const energised = (d: SimDaemon, door = 1) => readFileSync(relayFile(d, door), 'utf8').trim() === '1';
/** Wrong PINs that cannot be anyone's: 7 digits, while the demo PIN has 6. */
const wrong = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `${String(1_000_000 + from + i)}#`).join('');

/** `keypadd sim key` without blocking the test (the daemon may hold the answer until a guess is stored). */
function keyAsync(d: SimDaemon, keys: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [BIN, '--data-dir', d.cli.dataDir, '--json', 'sim', 'key', keys],
      { env: cleanEnv({ KEYPADD_CONFIG: d.cli.configFile }) },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)),
    ),
  );
}

describe('lockout that bounds guessing', () => {
  it('a valid PIN between wrong ones does not reset the count: two wrong, the right one, one wrong locks', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    expect(d.key(`${wrong(2)}${pin}#`)).toMatchObject({ relay: 'unlocked', lockout: { active: false } });
    expect(d.key(wrong(1, 10))).toMatchObject({ lockout: { active: true, level: 1 } });
    // The attack, repeated: of 300 tries with the valid PIN after every second guess, at most 12 are looked up.
    const attack = Array.from({ length: 100 }, (_, i) => `${wrong(2, 100 + 2 * i)}${pin}#`).join('');
    d.key(attack);
    const e = await eventually(
      () => events(d),
      (x) => x.filter((y) => y.event_type === 'access_denied').length >= 203,
    );
    expect(e.filter((x) => x.reason === 'unknown_credential').length).toBeLessThanOrEqual(12);
    expect(e.filter((x) => x.event_type === 'keypad_alarm').length).toBeGreaterThanOrEqual(10);
    expect(e.filter((x) => x.event_type === 'access_granted')).toHaveLength(1);
  });

  it('a restart between guesses gives no fresh tries: 2 wrong, SIGKILL, again... locks at the 3rd', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    d.key(wrong(2));
    for (let round = 1; round <= 3; round++) {
      await d.stop('SIGKILL');
      await d.start();
      d.key(wrong(2, round * 10));
    }
    const status = d.status();
    expect(status.lockout).toMatchObject({ active: true });
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked', outcomes: [{ granted: false, reason: 'locked_out' }] });
    const e = events(d);
    // The first lockout came with the third wrong PIN overall, the first one after the first restart.
    expect(e.slice(0, 4).map((x) => x.reason ?? x.event_type)).toEqual([
      'unknown_credential',
      'unknown_credential',
      'keypad_locked_out',
      'unknown_credential',
    ]);
    expect(e.filter((x) => x.reason === 'unknown_credential').length).toBeLessThanOrEqual(4);
  });

  it('stores the lockout before the keypad shows it: a SIGKILL right after the 3rd wrong PIN loses nothing', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    // Another process holds the write lock, as a long admin write or sync apply would: storing has to wait.
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'));
    db.exec('BEGIN IMMEDIATE');
    const answer = keyAsync(d, wrong(3));
    await new Promise((r) => setTimeout(r, 1500));
    expect(d.status().led).not.toBe('locked_out'); // not shown while it could still be lost
    db.exec('COMMIT');
    db.close();
    const shown = JSON.parse(await answer) as { led: string; lockout: { active: boolean } };
    expect(shown).toMatchObject({ led: 'locked_out', lockout: { active: true } });
    await d.stop('SIGKILL');
    await d.start();
    expect(d.status().lockout.active).toBe(true);
    expect(events(d).map((x) => x.reason ?? x.event_type)).toEqual([
      'unknown_credential',
      'unknown_credential',
      'keypad_locked_out',
      'unknown_credential',
    ]);
  });

  it('backs the reader off after unknown cards, with an alarm; the keypad keeps working', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    for (let i = 0; i < 12; i++) d.cli.json('sim', 'card', String(500 + i));
    const st = d.status();
    expect(st.card_backoff).toMatchObject({ active: true, level: 1 });
    expect(st.lockout.active).toBe(false);
    const e = events(d);
    expect(e.filter((x) => x.reason === 'unknown_credential')).toHaveLength(5);
    expect(e.filter((x) => x.reason === 'locked_out')).toHaveLength(7);
    expect(e.map((x) => x.event_type)).toEqual(expect.arrayContaining(['card_reader_locked_out', 'card_alarm']));
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
  });
});

describe('relays locked first and by every exit', () => {
  const UNLOCKED_LONG = (failSafe: boolean) =>
    `doors: [{ id: 1, name: Front Door, unlock_ms: 600000, max_unlock_ms: 600000, fail_safe: ${failSafe} }]\n`;

  for (const failSafe of [false, true]) {
    const locked = failSafe; // a fail-safe (maglock) relay is energised to lock
    it(`leaves a ${failSafe ? 'fail-safe' : 'fail-secure'} relay locked after SIGTERM, SIGINT and an uncaught error (exit 70)`, async () => {
      const d = simDoor(UNLOCKED_LONG(failSafe), cleanups);
      let pin = '';
      for (const how of ['SIGTERM', 'SIGINT', 'crash'] as const) {
        await d.start();
        pin ||= d.demoPin();
        expect(d.key(`${pin}#`).relay).toBe('unlocked');
        expect(energised(d)).toBe(!locked);
        if (how === 'crash') {
          const exited = new Promise<number | null>((r) => d.proc!.once('exit', r));
          d.cli.run('sim', 'crash');
          expect(await exited).toBe(70);
          expect(d.stderr).toMatch(/fatal: .*simulated crash.*relays locked/s);
        } else {
          expect(await d.stop(how)).toBe(0);
        }
        expect(energised(d)).toBe(locked);
      }
    });
  }

  it('a failed start after a SIGKILL while unlocked drives the relay locked: damaged database, wrong key', async () => {
    const d = simDoor(UNLOCKED_LONG(false), cleanups);
    await d.start();
    const pin = d.demoPin();
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    await d.stop('SIGKILL');
    expect(energised(d)).toBe(true); // the line keeps the level the dead process left
    const key = join(d.cli.dataDir, 'pin.key');
    const goodKey = readFileSync(key);
    writeFileSync(key, 'ab'.repeat(32) + '\n', { mode: 0o600 });
    const wrongKey = d.cli.run('run', '--sim');
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toMatch(/not the key this database was written with/);
    expect(energised(d)).toBe(false);
    // Unlocked again, killed again, then the database is found damaged at start.
    writeFileSync(key, goodKey, { mode: 0o600 });
    await d.start();
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    await d.stop('SIGKILL');
    writeFileSync(join(d.cli.dataDir, 'keypadd.db'), 'this is not a database');
    for (const f of ['keypadd.db-wal', 'keypadd.db-shm']) if (existsSync(join(d.cli.dataDir, f))) writeFileSync(join(d.cli.dataDir, f), '');
    const damaged = d.cli.run('run', '--sim');
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(/failed its integrity check|not a database/);
    expect(energised(d)).toBe(false);
  });

  it('lock-relays (the unit’s ExecStopPost) drives a dead daemon’s relay locked, and is refused while one runs', async () => {
    const d = simDoor(UNLOCKED_LONG(false), cleanups);
    await d.start();
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked');
    const refused = d.cli.run('lock-relays');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/keypadd is running on .* \(PID \d+\) and drives its own relays/);
    expect(energised(d)).toBe(true);
    await d.stop('SIGKILL');
    const r = d.cli.run('lock-relays');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/door 1 \(Front Door\): relay locked/);
    expect(energised(d)).toBe(false);
  });

  it('a second `keypadd run` on the same data dir touches nothing and says, in one line, which PID to stop', async () => {
    const d = simDoor(UNLOCKED_LONG(false) + 'api: { enabled: true, listen: "127.0.0.1:0" }\n', cleanups);
    await d.start();
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked');
    const second = d.cli.run('run', '--sim');
    expect(second.status).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`already running on .* \\(PID ${d.proc!.pid}\\): .*systemctl stop keypadd`)),
    ]);
    // The running daemon's relay was not touched, and it still works.
    expect(energised(d)).toBe(true);
    expect(d.status()).toMatchObject({ relay: 'unlocked' });
  });
});

describe('no demo door on real data', () => {
  it('makes no demo person in a data dir the config names, unless --demo is given', async () => {
    const d = simDoor('', cleanups);
    writeFileSync(d.cli.configFile, `data_dir: ${d.cli.dataDir}\n`);
    d.runArgs = [];
    await d.start();
    expect(d.stdout).not.toMatch(/Demo person/);
    expect(d.cli.json<unknown[]>('person', 'list')).toEqual([]);
  });

  it('never prints the demo PIN into the journal (stdout is the journal under systemd)', async () => {
    const d = simDoor('', cleanups);
    // JOURNAL_STREAM names stdout's device and inode, as systemd sets it: here stdout is a file standing in for it.
    const out = join(d.cli.dataDir, 'journal.txt');
    writeFileSync(out, '');
    const fd = openSync(out, 'a');
    const st = fstatSync(fd);
    const proc = spawn(process.execPath, [BIN, '--data-dir', d.cli.dataDir, 'run', '--sim', '--demo'], {
      env: cleanEnv({ KEYPADD_CONFIG: d.cli.configFile, JOURNAL_STREAM: `${st.dev}:${st.ino}` }),
      stdio: ['ignore', fd, 'pipe'],
    });
    cleanups.push(() => proc.kill('SIGKILL'));
    let stderr = '';
    proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await eventually(
      () => stderr,
      (x) => x.includes(' running '),
      15_000,
    );
    expect(d.cli.json<{ first_name: string }[]>('person', 'list')).toEqual([expect.objectContaining({ first_name: 'Demo' })]);
    expect(d.cli.json<unknown[]>('credential', 'list')).toEqual([]);
    expect(readFileSync(out, 'utf8')).not.toMatch(/PIN \d/);
    expect(stderr).toMatch(/created without a PIN/);
  });
});
