/**
 * `keypadd backup FILE` on a live installation: taken while the daemon runs and another process writes, a checked
 * self-contained copy that restores (stop, copy back, start) to a door that opens for the same PINs.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { Cli, ROOT, cleanEnv } from '../helpers/cli.js';
import { eventually, simDoor } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function outDir(): string {
  const d = scratchDir('keypadd-backup-');
  cleanups.push(d.remove);
  return d.dir;
}

/** A process creating people and PINs on the data dir as fast as it can; `committed` counts the ones it reported. */
function writer(dataDir: string, configFile: string): { committed: () => number; stop: () => void } {
  const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/create-forever.mjs'), dataDir, configFile, 'Writer'], { env: cleanEnv() });
  let lines = 0;
  child.stdout.on('data', (d: Buffer) => (lines += d.toString().split('\n').length - 1));
  const stop = () => void child.kill('SIGKILL');
  cleanups.push(stop);
  return { committed: () => lines, stop };
}

describe('keypadd backup', () => {
  it('copies the live database while the daemon runs and another process writes; the copy restores', async () => {
    const door = simDoor('', cleanups);
    await door.start();
    const pin = door.demoPin();
    const w = writer(door.cli.dataDir, door.cli.configFile);
    await eventually(w.committed, (n) => n >= 50, 15_000);
    const before = w.committed();
    const file = join(outDir(), 'keypadd-backup.db');

    const r = door.cli.run('backup', file);
    w.stop();
    expect(r.status, r.stderr).toBe(0);
    const copy = new Database(file, { readonly: true, fileMustExist: true });
    const people = (copy.prepare('SELECT count(*) AS n FROM people').get() as { n: number }).n;
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    copy.close();
    // Everything committed before the backup began is in it (the demo person too).
    expect(people).toBeGreaterThanOrEqual(before + 1);
    expect(r.stdout).toContain(`Backed up ${join(door.cli.dataDir, 'keypadd.db')} to ${file}: ${people} people, `);
    expect(r.stdout).toContain('the copy passed its integrity check');
    expect(r.stdout).toContain(
      `keep a copy of ${join(door.cli.dataDir, 'pin.key')} (the key this configuration uses; an installed keypadd keeps it in /etc/keypadd/credentials/pin-key) with it`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}-wal`)).toBe(false);

    // Restore as the README says: stop, move the database and its -wal/-shm aside, copy the backup in, start.
    await door.stop();
    for (const f of ['keypadd.db', 'keypadd.db-wal', 'keypadd.db-shm']) rmSync(join(door.cli.dataDir, f), { force: true });
    copyFileSync(file, join(door.cli.dataDir, 'keypadd.db'));
    await door.start();
    expect(door.key(`${pin}#`).relay).toBe('unlocked');
    expect(door.cli.json<unknown[]>('person', 'list')).toHaveLength(people);
  });

  it('refuses to overwrite a file, or to write where it cannot, and leaves nothing behind', () => {
    const d = scratchDir('keypadd-backup-src-');
    cleanups.push(d.remove);
    const k = new Cli(d.dir, 'pin_key_file: /etc/keypadd/credentials/pin-key\n');
    const dir = outDir();
    const none = k.run('backup', join(dir, 'first.db'));
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`keypadd: there is no database to back up at ${join(d.dir, 'keypadd.db')}`);

    openDatabase(d.dir).close();
    const existing = join(dir, 'existing.db');
    writeFileSync(existing, 'my other file');
    const over = k.run('backup', existing);
    expect(over.status).toBe(2);
    expect(over.stderr).toBe(`keypadd: refused: file: ${existing} already exists: keypadd backup never overwrites a file; give a new name\n`);
    expect(readFileSync(existing, 'utf8')).toBe('my other file');

    const missing = k.run('backup', join(dir, 'no/such/dir/x.db'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`keypadd: refused: file: the directory ${join(dir, 'no/such/dir')} does not exist`);
    expect(readdirSync(dir)).toEqual(['existing.db']);

    const ok = k.run('backup', join(dir, 'new.db'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('keep a copy of /etc/keypadd/credentials/pin-key (where install.sh keeps it) with it');
    expect(readdirSync(dir).sort()).toEqual(['existing.db', 'new.db']);
  });
});
