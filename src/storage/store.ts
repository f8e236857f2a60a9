/**
 * The storage a command or the daemon works on: the database and the key its credential digests are made with.
 * Opening refuses a database whose digests were made under another key, and a database that is gone or empty where
 * one has been (a lost file must not start as a new installation, with its people, PINs and audit trail gone).
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIN_KEY_FILE, PIN_KEY_HINT, credentialDigest, keyFingerprint, loadPinKey, type PinKey } from './pin-key.js';
import { DATABASE_FILE, StorageError, databasePath, openDatabase, openSnapshot, type Db } from './database.js';
import { newEvent, now } from './new-event.js';
import { EventRepo } from './event-repo.js';

export interface Store {
  db: Db;
  /** Keyed digest of a credential value, as stored and looked up. */
  digest(value: string): string;
  keyPath: string;
  /** Opened read-only (a data dir on a read-only file system): every write fails. */
  readonly: boolean;
  close(): void;
}

export interface StoreOptions {
  /** Skip the integrity check and migrations (a worker thread opening what the main thread just checked). */
  alreadyChecked?: boolean;
  /** Open without writing anything; never makes a key or a database. */
  readonly?: boolean;
  /** Decide from a copy in memory (storage/database.ts openSnapshot): the file itself cannot be opened. Read-only. */
  snapshot?: boolean;
  /** Make a new, empty database even where one has been (`keypadd run --new-database`). */
  allowNewDatabase?: boolean;
  /**
   * The site's PIN storage. Under `digest`, PIN values left from a plaintext policy are removed at open, with an
   * event, and the WAL is truncated so no copy of them stays in its old frames.
   */
  pinStorage?: 'digest' | 'plaintext';
}

/**
 * Written beside the database when it is made: this data dir has held one. A database missing (or of zero bytes)
 * next to it, or next to the key file it was made with, was lost; it is not a new installation.
 */
export const DATABASE_MARKER = 'keypadd.db-created';

/** The database is gone or empty where one has been. `keypadd run` exits 78 on it: a restart cannot bring it back. */
export class DatabaseLostError extends StorageError {
  override name = 'DatabaseLostError';
}

export function openStore(dataDir: string, env: NodeJS.ProcessEnv = process.env, keyFile: string | null = null, opts: StoreOptions = {}): Store {
  const fresh = !hasDatabase(dataDir);
  if (opts.snapshot) opts = { ...opts, readonly: true };
  if (fresh && !opts.allowNewDatabase) refuseIfLost(dataDir, opts.readonly === true);
  const db = opts.snapshot ? openSnapshot(dataDir) : openDatabase(dataDir, opts);
  try {
    // A database that already records a key gets no new one: a key made now could match none of its digests.
    const pinKey = loadPinKey(dataDir, env, keyFile, storedFingerprint(db) === undefined && !opts.readonly);
    checkKeyMatches(db, keyFingerprint(pinKey.key), pinKey, opts.readonly === true);
    if (!opts.readonly) {
      if (!existsSync(join(dataDir, DATABASE_MARKER))) markDatabase(dataDir);
      if (opts.pinStorage === 'digest' && !opts.alreadyChecked) forgetPlaintextPins(db);
    }
    const { key, path } = pinKey;
    return {
      db,
      digest: (value) => credentialDigest(key, value),
      keyPath: path,
      readonly: opts.readonly === true,
      close: () => db.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** A database file with content (SQLite makes a zero-byte file look like an empty database). */
export function hasDatabase(dataDir: string): boolean {
  try {
    return statSync(databasePath(dataDir)).size > 0;
  } catch {
    return false;
  }
}

function refuseIfLost(dataDir: string, readonly: boolean): void {
  const marker = existsSync(join(dataDir, DATABASE_MARKER));
  const keyBeside = existsSync(join(dataDir, PIN_KEY_FILE));
  if (!marker && !keyBeside) {
    if (readonly) throw new StorageError(`there is no database in ${dataDir} yet (the first start makes it)`);
    return;
  }
  const file = databasePath(dataDir);
  const what = existsSync(file) ? 'is empty (zero bytes)' : 'is missing';
  const evidence = marker
    ? `${join(dataDir, DATABASE_MARKER)} says this data dir held one`
    : `the PIN key it was made with is still beside it (${join(dataDir, PIN_KEY_FILE)})`;
  throw new DatabaseLostError(
    `${file} ${what}, but ${evidence}: the database was lost, and starting empty would drop every person, PIN and ` +
      `event. Restore it from a backup (README, Backup and restore), or, to start again with no data, run ` +
      `\`keypadd run --new-database\` once.`,
  );
}

/**
 * Switching pin_policy.storage from plaintext to digest: the digests are already stored (they are what the door looks
 * up), so the readable values go. secure_delete zeroes the freed bytes in the database file; the WAL still holds the
 * old pages until a TRUNCATE checkpoint.
 */
/** forgetPlaintextPins' statement (exported for its EXPLAIN QUERY PLAN test): through credentials_readable_pins. */
export const FORGET_READABLE_PINS_SQL = `UPDATE credentials SET value = NULL WHERE credential_type_id = 6 AND value IS NOT NULL`;

function forgetPlaintextPins(db: Db): void {
  const removed = db
    .transaction(() => {
      const n = db.prepare(FORGET_READABLE_PINS_SQL).run().changes;
      const label = `${n} readable PIN value${n === 1 ? '' : 's'} removed: pin_policy.storage is digest (the PINs still work)`;
      if (n > 0) new EventRepo(db).append(newEvent('pin_values_removed', { door_id: null, event_label: label, detail: { count: n } }, now()));
      return n;
    })
    .immediate();
  if (removed > 0) truncateWal(db);
}

/**
 * Copies the WAL into the database and truncates it, so pages with removed secrets are not left in its frames. It
 * waits at most `waitMs` for other connections (never the usual 5 s: a stop must not hang on it).
 */
export function truncateWal(db: Db, waitMs = 250): void {
  const before = db.pragma('busy_timeout', { simple: true }) as number;
  try {
    db.pragma(`busy_timeout = ${waitMs}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // Busy (a reader holds an old snapshot): the next checkpoint gets it; the event writer runs one every hour.
  } finally {
    db.pragma(`busy_timeout = ${before}`);
  }
}

function markDatabase(dataDir: string): void {
  try {
    writeFileSync(
      join(dataDir, DATABASE_MARKER),
      `${DATABASE_FILE} was made here at ${new Date().toISOString()}; if it goes missing it was lost, not never made.\n`,
      { mode: 0o640 },
    );
  } catch {
    // A data dir that will not take the marker will not take the database either; that error is reported there.
  }
}

function storedFingerprint(db: Db): string | undefined {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'pin_key_fingerprint'`).get() as { value: string } | undefined;
  return row?.value;
}

const KEY_SOURCE: Record<PinKey['source'], string> = {
  systemd: "systemd's credential ($CREDENTIALS_DIRECTORY/pin-key)",
  pin_key_file: "the config's pin_key_file",
  data_dir: 'the default beside the database, as no pin_key_file is set',
};

function checkKeyMatches(db: Db, fingerprint: string, pinKey: PinKey, readonly: boolean): void {
  const mismatch = () =>
    new StorageError(
      `the PIN key ${pinKey.path} (${KEY_SOURCE[pinKey.source]}) is not the key this database was written with, ` +
        `so no stored PIN or card would match; nothing was changed. ${PIN_KEY_HINT} Otherwise restore the ` +
        `original key file (from backup), or start a new data directory.`,
    );
  if (readonly) {
    const stored = storedFingerprint(db);
    if (stored !== undefined && stored !== fingerprint) throw mismatch();
    return;
  }
  db.transaction(() => {
    const stored = storedFingerprint(db);
    if (stored === undefined) {
      db.prepare(`INSERT INTO meta (key, value) VALUES ('pin_key_fingerprint', ?)`).run(fingerprint);
    } else if (stored !== fingerprint) {
      throw mismatch();
    }
  }).immediate();
}
