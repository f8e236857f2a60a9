/**
 * The database's files against the field: a database lost or emptied next to its key, file modes whatever the umask,
 * plaintext PINs left behind after switching to digest storage or deleting them, and `keypadd doctor` as root.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cli } from '../helpers/cli.js';
import { eventually, SimDaemon, simDoor } from '../helpers/daemon.js';
import { checkDatabase, listing } from '../helpers/faults.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const db = (d: SimDaemon) => join(d.cli.dataDir, 'keypadd.db');
const mode = (path: string) => statSync(path).mode & 0o777;

describe('a lost or emptied database', () => {
  it('is refused at start (exit 78, with the fix) when its key or marker says one was there; --new-database starts over', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    expect(await d.stop('SIGTERM')).toBe(0);
    for (const damage of ['empty', 'missing'] as const) {
      if (damage === 'empty') writeFileSync(db(d), '');
      else rmSync(db(d), { force: true });
      const r = d.cli.run('run', '--sim');
      expect(r.status).toBe(78);
      expect(r.stderr).toMatch(
        new RegExp(`keypadd.db ${damage === 'empty' ? 'is empty \\(zero bytes\\)' : 'is missing'}, but .* the database was lost`),
      );
      expect(r.stderr).toMatch(/Restore it from a backup .* or, to start again with no data, run `keypadd run --new-database` once/);
      expect(d.cli.run('person', 'list').status).toBe(1); // the admin CLI does not make a new one either
    }
    d.runArgs = ['--new-database'];
    await d.start();
    expect(d.cli.json<unknown[]>('person', 'list')).toEqual([]);
  });

  it('a missing key is never replaced by a new one: the start fails, and no key file is written', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    await d.stop('SIGTERM');
    rmSync(join(d.cli.dataDir, 'pin.key'));
    const r = d.cli.run('run', '--sim');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/keypadd will not make a new one/);
    expect(existsSync(join(d.cli.dataDir, 'pin.key'))).toBe(false);
  });
});

describe('file modes', () => {
  it('keeps the database, WAL and SHM private whatever the umask; doctor checks the data dir and the files', async () => {
    const dir = scratchDir('keypadd-modes-');
    cleanups.push(dir.remove);
    const data = join(dir.dir, 'data');
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    const d = new SimDaemon(new Cli(data));
    cleanups.push(async () => void (await d.stop('SIGKILL')));
    const old = process.umask(0o000);
    try {
      await d.start();
    } finally {
      process.umask(old);
    }
    d.key('1234567#'); // something in the WAL
    for (const f of ['keypadd.db', 'keypadd.db-wal', 'keypadd.db-shm']) expect(mode(join(data, f)) & 0o027, f).toBe(0);
    const doctor = d.cli.run('doctor');
    expect(doctor.stdout).toMatch(/WARN\s+data dir mode.*mode 755: other users can list it/);
    expect(doctor.stdout).toMatch(/PASS\s+database mode/);
    chmodSync(db(d), 0o644);
    expect(d.cli.run('doctor').stdout).toMatch(/FAIL\s+database mode\s+keypadd.db \(644\) can be read or written by others/);
    await d.stop('SIGTERM');
    await d.start(); // and keypadd narrows it again itself
    expect(mode(db(d))).toBe(0o640);
  });
});

describe('plaintext leftovers', () => {
  const bytesOf = (d: SimDaemon) =>
    ['keypadd.db', 'keypadd.db-wal']
      .map((f) => (existsSync(join(d.cli.dataDir, f)) ? readFileSync(join(d.cli.dataDir, f)).toString('latin1') : ''))
      .join('');

  it('switching pin_policy.storage to digest removes the readable PINs at start, with an event; the PINs still work', async () => {
    const d = simDoor('pin_policy: { storage: plaintext, generated_length: 8 }\n', cleanups);
    await d.start();
    const pin = d.demoPin();
    expect(d.cli.json<{ value: string | null }[]>('credential', 'list')[0]!.value).toBe(pin);
    await d.stop('SIGTERM');
    writeFileSync(d.cli.configFile, 'pin_policy: { storage: digest, generated_length: 8 }\n');
    await d.start();
    expect(d.cli.json<{ value: string | null }[]>('credential', 'list')[0]!.value).toBe(null);
    expect(bytesOf(d)).not.toContain(pin);
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    const e = await eventually(
      () => d.cli.json<{ events: { event_type: string; event_label: string }[] }>('event', 'list').events,
      (x) => x.some((y) => y.event_type === 'pin_values_removed'),
    );
    expect(e.find((x) => x.event_type === 'pin_values_removed')!.event_label).toMatch(/1 readable PIN value removed/);
  });

  it('a deleted plaintext PIN is left neither in the database file nor in the WAL', async () => {
    const d = simDoor('pin_policy: { storage: plaintext, generated_length: 8 }\n', cleanups);
    await d.start();
    const p = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Del', '--last-name', 'Eted');
    const pin = d.cli.json<{ id: string; value: string }>('pin', 'add', '--person', String(p.id));
    expect(bytesOf(d)).toContain(pin.value);
    d.cli.json('credential', 'delete', pin.id);
    expect(bytesOf(d)).not.toContain(pin.value);
  });
});

describe('keypadd doctor as root', () => {
  it('creates nothing: no database, key or -wal/-shm files owned by root for the service to trip on', async () => {
    const d = simDoor('', cleanups);
    const before = listing(d.cli.dataDir);
    d.cli.run('doctor');
    expect(listing(d.cli.dataDir)).toEqual(before);
    await d.start();
    await d.stop('SIGTERM');
    const stopped = listing(d.cli.dataDir);
    expect(stopped).not.toContain('keypadd.db-wal');
    const r = d.cli.run('doctor');
    expect(r.stdout).toMatch(/PASS\s+database\s+.*keypadd.db opens and passes its integrity check/);
    expect(listing(d.cli.dataDir)).toEqual(stopped);
    // And it still opens what it checked: nothing is left half-done.
    const check = new Database(db(d), { readonly: true });
    expect(check.pragma('quick_check', { simple: true })).toBe('ok');
    check.close();
    checkDatabase(d.cli.dataDir);
  });
});
