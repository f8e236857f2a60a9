import Database from 'better-sqlite3';
import {
  chmodSync as chmod,
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, SCHEMA_VERSION, StorageError, openDatabase } from '../../src/storage/database.js';
import { EventRepo } from '../../src/storage/event-repo.js';
import { PIN_KEY_FILE, loadPinKey } from '../../src/storage/pin-key.js';
import { FORGET_READABLE_PINS_SQL, openStore } from '../../src/storage/store.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));
function dir(): string {
  const d = scratchDir();
  cleanups.push(d.remove);
  return d.dir;
}

function seed(dataDir: string, people: number): void {
  const db = openDatabase(dataDir);
  const insert = db.prepare(`INSERT INTO people (first_name, last_name, created_at, updated_at) VALUES (?, ?, 'x', 'x')`);
  db.transaction(() => {
    for (let i = 0; i < people; i++) insert.run(`First${i}`, `Last${i}`.repeat(20));
  })();
  db.close();
}

describe('database file', () => {
  it('opens in WAL mode with synchronous=FULL, foreign keys and secure_delete, at the current schema', () => {
    const db = openDatabase(dir());
    cleanups.push(() => db.close());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });

  it('reopens without applying migrations twice and keeps the data', () => {
    const d = dir();
    seed(d, 3);
    seed(d, 2);
    const db = openDatabase(d);
    expect((db.prepare('SELECT count(*) n FROM people').get() as { n: number }).n).toBe(5);
    db.close();
  });

  it('refuses a database written by a newer keypadd', () => {
    const d = dir();
    const raw = new Database(join(d, DATABASE_FILE));
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(d)).toThrow(/schema version 999, newer than this keypadd/);
  });

  it('refuses a damaged database with a clear message and the way out', () => {
    const d = dir();
    seed(d, 2000);
    const file = join(d, DATABASE_FILE);
    // Overwrite the middle pages (not the header) with garbage, as a failing SD card would.
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096 * 4, 0xa5), 0, 4096 * 4, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    expect(() => openDatabase(d)).toThrow(StorageError);
    expect(() => openDatabase(d)).toThrow(/failed its integrity check.*restore a backup/s);
  });

  it('refuses a file that is not a database at all', () => {
    const d = dir();
    writeFileSync(join(d, DATABASE_FILE), 'this is not sqlite '.repeat(400));
    expect(() => openDatabase(d)).toThrow(/failed its integrity check/);
  });

  it('finds readable PINs to forget through credentials_readable_pins, never a scan of the credentials (issue 21)', () => {
    // At a million people the scan was 3.4 s of every start under digest storage, where there is nothing to forget.
    const db = openDatabase(dir());
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${FORGET_READABLE_PINS_SQL}`).all() as { detail: string }[]).map((r) => r.detail);
    db.close();
    expect(plan).toEqual([expect.stringMatching(/^SEARCH credentials USING (COVERING )?INDEX credentials_readable_pins\b/)]);
  });

  it('keeps events append-only and numbers each door without gaps', () => {
    const db = openDatabase(dir());
    cleanups.push(() => db.close());
    const events = new EventRepo(db);
    const base = { event_code: 10, event_type: 'access_granted', event_label: 'x', created_at: '2026-01-01T00:00:00Z' };
    const seqs = [1, 1, 2, 1].map((door) => events.append({ ...base, door_id: door }).door_seq);
    expect(seqs).toEqual([1, 2, 1, 3]);
    expect(() => db.prepare(`UPDATE events SET event_label = 'forged'`).run()).toThrow(/append-only/);
  });
});

describe('PIN key', () => {
  it('is created on first use beside the database, mode 0600, 32 random bytes as hex', () => {
    const d = dir();
    const { key, path } = loadPinKey(d, {});
    expect(path).toBe(join(d, PIN_KEY_FILE));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(key.length).toBe(32);
    expect(loadPinKey(d, {}).key.equals(key)).toBe(true);
  });

  it('comes from $CREDENTIALS_DIRECTORY/pin-key when systemd provides it', () => {
    const d = dir();
    const creds = dir();
    writeFileSync(join(creds, 'pin-key'), 'ab'.repeat(32));
    const k = loadPinKey(d, { CREDENTIALS_DIRECTORY: creds });
    expect(k.path).toBe(join(creds, 'pin-key'));
    expect(k.key.toString('hex')).toBe('ab'.repeat(32));
  });

  it('is refused when others can read it, naming the fix', () => {
    const d = dir();
    const { path } = loadPinKey(d, {});
    chmodSync(path, 0o644);
    expect(() => loadPinKey(d, {})).toThrow(`chmod 600 ${path}`);
  });

  it('may be readable by its group (the admin CLI), never by others', () => {
    const d = dir();
    const { path } = loadPinKey(d, {});
    chmod(path, 0o640);
    expect(loadPinKey(d, {}).path).toBe(path);
    chmod(path, 0o604);
    expect(() => loadPinKey(d, {})).toThrow(/readable or writable by others/);
  });

  it('comes from pin_key_file when systemd does not provide it', () => {
    const d = dir();
    const keyDir = dir();
    const file = join(keyDir, 'pin-key');
    writeFileSync(file, 'ef'.repeat(32), { mode: 0o600 });
    expect(loadPinKey(d, {}, file)).toMatchObject({ path: file });
    expect(loadPinKey(d, { CREDENTIALS_DIRECTORY: keyDir }, '/nonexistent')).toMatchObject({ path: file });
  });

  it('must be the key the database was written with', () => {
    const d = dir();
    openStore(d, {}).close();
    writeFileSync(join(d, PIN_KEY_FILE), 'cd'.repeat(32) + '\n', { mode: 0o600 });
    expect(() => openStore(d, {})).toThrow(/not the key this database was written with/);
    expect(() => openStore(d, {})).toThrow('set `pin_key_file: /etc/keypadd/credentials/pin-key` in the config');
  });

  it('is not made anew for a database that was written with a key', () => {
    const d = dir();
    openStore(d, {}).close();
    unlinkSync(join(d, PIN_KEY_FILE));
    expect(() => openStore(d, {})).toThrow(/there is no key at .* and no pin_key_file is set, but this database was written with a key/);
    expect(existsSync(join(d, PIN_KEY_FILE))).toBe(false);
  });

  it('refuses a named pin_key_file that does not exist instead of making one', () => {
    const d = dir();
    const missing = join(dir(), 'pin-key');
    expect(() => loadPinKey(d, {}, missing)).toThrow(`PIN key: pin_key_file ${missing} does not exist`);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(d, PIN_KEY_FILE))).toBe(false);
  });

  it('refuses to store a time the access decision could not read, in people, credentials and reservations', () => {
    const db = openDatabase(dir());
    const person = (validTo: string | null) =>
      db.prepare(`INSERT INTO people (first_name, last_name, valid_to, created_at, updated_at) VALUES ('A', 'B', ?, 'x', 'x')`).run(validTo);
    expect(() => person('garbage')).toThrow(/people.valid_from\/valid_to: must be a UTC time/);
    expect(() => person('2026-02-30T00:00:00Z')).toThrow(/must be a UTC time/); // no such day
    expect(() => person('2026-01-15 09:00:00')).toThrow(/must be a UTC time/);
    const id = Number(person('2026-01-15T09:00:00Z').lastInsertRowid);
    expect(() => db.prepare(`UPDATE people SET valid_from = 'soon' WHERE id = ?`).run(id)).toThrow(/must be a UTC time/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO reservations (person_id, start_time, end_time, created_at, updated_at) VALUES (?, '2026-01-15T09:00:00Z', 'later', 'x', 'x')`,
        )
        .run(id),
    ).toThrow(/reservations.start_time\/end_time: must be a UTC time/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO credentials (id, person_id, credential_type_id, digest, created_at, updated_at) VALUES ('c', ?, 5, 'd', 'yesterday', 'x')`,
        )
        .run(id),
    ).toThrow(/credentials.created_at: must be a UTC time/);
    db.close();
  });
});
