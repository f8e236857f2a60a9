/**
 * Opens the one SQLite file keypadd keeps: WAL with synchronous=FULL (an event counts as recorded only once it
 * survives power loss), foreign keys on, secure_delete so removed values do not linger in free pages, an integrity
 * check before anything is trusted, and the schema migrations applied in order.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'keypadd.db';

/** The database cannot be used: damaged, written by a newer keypadd, or not reachable. Exit status 1, not 2. */
export class StorageError extends Error {
  override name = 'StorageError';
}

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

export interface OpenOptions {
  /** How long a writer waits for another process's write lock before giving up (ms). */
  busyTimeoutMs?: number;
  /**
   * Skip the integrity check and migrations: for the daemon's worker threads, which open a database the main
   * thread has just checked and migrated (a second full read of the file costs time and memory for nothing).
   */
  alreadyChecked?: boolean;
  /**
   * Open without writing anything (a data dir on a read-only file system, `keypadd doctor`): the file must exist,
   * and is neither migrated nor switched to WAL. Writes through it fail with SQLITE_READONLY.
   */
  readonly?: boolean;
}

/**
 * The database and its -wal/-shm files are readable by the service user and its group only, whatever the umask:
 * they hold card numbers, token hashes and (under plaintext storage) PINs. SQLite gives -wal and -shm the mode of the
 * database file, so the database is made with this mode before SQLite opens it, and existing files are narrowed.
 */
export const DATABASE_MODE = 0o640;

/** Strips group write and every permission for others from the database files that exist. */
export function narrowDatabaseModes(dataDir: string): void {
  for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) {
    const path = join(dataDir, name);
    try {
      const mode = statSync(path).mode & 0o777;
      if ((mode & ~DATABASE_MODE) !== 0) chmodSync(path, mode & DATABASE_MODE);
    } catch {
      // Not there (yet), or a read-only file system: nothing to narrow.
    }
  }
}

/**
 * Whether the file system holding `path` is mounted read-only, from /proc/self/mountinfo: its mount options, or its
 * superblock's (ext4 sets `emergency_ro` when errors=remount-ro fires, while the mount still says rw). Reads only.
 */
export function readOnlyMount(path: string): boolean {
  let dir: string;
  try {
    dir = realpathSync(path);
  } catch {
    return false;
  }
  let best: { point: string; ro: boolean } | null = null;
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [left, right] = line.split(' - ');
      const f = left?.split(' ') ?? [];
      const point = (f[4] ?? '').replace(/\\040/g, ' ');
      if (!point || !(dir === point || dir.startsWith(point.endsWith('/') ? point : `${point}/`))) continue;
      if (best && best.point.length > point.length) continue;
      const opts = [...(f[5] ?? '').split(','), ...(right?.split(' ')[2] ?? '').split(',')];
      best = { point, ro: opts.includes('ro') || opts.includes('emergency_ro') };
    }
  } catch {
    return false;
  }
  return best?.ro ?? false;
}

/** Whether the data dir takes writes: a card that went read-only (errors=remount-ro) says EROFS. */
export function dataDirWritable(dataDir: string): { writable: boolean; why: string | null } {
  if (readOnlyMount(dataDir)) return { writable: false, why: 'the data dir is on a read-only file system' };
  const probe = join(dataDir, `.write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'w', 0o600));
    unlinkSync(probe);
    return { writable: true, why: null };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { writable: true, why: null }; // not made yet: the open makes it
    return {
      writable: false,
      why: code === 'EROFS' ? 'the data dir is on a read-only file system' : `the data dir does not take writes (${code ?? (err as Error).message})`,
    };
  }
}

export function openDatabase(dataDir: string, opts: OpenOptions = {}): Db {
  const file = databasePath(dataDir);
  if (opts.readonly) return openReadOnly(file, opts);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o750 });
    // Made with the right mode before SQLite opens it (SQLite follows the umask), or narrowed if it exists.
    closeSync(openSync(file, 'a', DATABASE_MODE));
    narrowDatabaseModes(dataDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StorageError(`cannot ${code === 'EROFS' ? 'write to' : 'create'} ${file}: ${(err as Error).message}`);
  }
  let db: Db;
  try {
    db = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw new StorageError(`cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    // Two processes opening a new file at once can get SQLITE_BUSY from the switch to WAL without the busy handler
    // being asked (SQLite will not wait where waiting could deadlock): retry briefly, then give up with the error.
    retryWhileBusy(opts.busyTimeoutMs ?? 5000, () => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('secure_delete = ON');
      if (!opts.alreadyChecked) {
        checkIntegrity(db, file);
        migrate(db, file);
      }
    });
    return db;
  } catch (err) {
    db.close();
    throw openFailure(err, file, '');
  }
}

/**
 * The last resort when the database file cannot be opened at all (a disk so full that SQLite cannot make its -shm
 * file, or a read-only card with no -shm left): a copy of the file in memory, for deciding until the real file opens
 * again. Only used when there is no -wal file with content, so the main file holds every committed change. The header
 * says WAL, which an in-memory database cannot use: the copy is marked as a rollback-journal database instead.
 */
export function openSnapshot(dataDir: string): Db {
  const file = databasePath(dataDir);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new StorageError(`cannot read database ${file}: ${(err as Error).message}`);
  }
  if (bytes.length >= 20) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  let db: Db;
  try {
    db = new Database(bytes);
  } catch (err) {
    throw damaged(file, (err as Error).message);
  }
  try {
    checkIntegrity(db, file);
    return db;
  } catch (err) {
    db.close();
    throw err instanceof StorageError ? err : damaged(file, (err as Error).message);
  }
}

function openReadOnly(file: string, opts: OpenOptions): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: opts.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw new StorageError(`cannot open database ${file} read-only: ${(err as Error).message}`);
  }
  try {
    db.pragma('foreign_keys = ON');
    if (!opts.alreadyChecked) {
      checkIntegrity(db, file);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== MIGRATIONS.length) {
        throw new StorageError(
          `database ${file} has schema version ${version} and this keypadd needs ${MIGRATIONS.length}; it cannot be migrated while read-only`,
        );
      }
    }
    return db;
  } catch (err) {
    db.close();
    throw openFailure(err, file, ' read-only');
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Runs `fn`, again while SQLite says the database is busy, for up to `budgetMs` (start-up only: it sleeps). */
function retryWhileBusy(budgetMs: number, fn: () => void): void {
  const end = Date.now() + budgetMs;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) throw err;
      if (Date.now() >= end) throw err;
      Atomics.wait(pause, 0, 0, 10 + Math.random() * 40);
    }
  }
}

/** Why a database that opened could not be set up: damage is named as such, anything else says what it was. */
function openFailure(err: unknown, file: string, how: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return damaged(file, (err as Error).message);
  return new StorageError(`cannot open database ${file}${how}: ${(err as Error).message}`);
}

function damaged(file: string, detail: string): StorageError {
  return new StorageError(
    `database ${file} failed its integrity check (${detail}). keypadd will not decide access from a damaged ` +
      `database: stop the service, move ${file} and its -wal/-shm files aside, and restore a backup (or start empty ` +
      `and let sync refill it).`,
  );
}

function checkIntegrity(db: Db, file: string): void {
  // quick_check is integrity_check without the index-content cross-check: O(N) but several times faster at start-up.
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0) throw damaged(file, problems.slice(0, 3).join('; '));
  // The check read every page through this connection's cache (better-sqlite3 builds SQLite with a 16 MB one): give
  // those pages back. The door's lookups fill it again with the pages they use, which are few (17 MB of RSS at
  // 100,000 people otherwise held by pages read once).
  db.pragma('shrink_memory');
}

function migrate(db: Db, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StorageError(
      `database ${file} has schema version ${current}, newer than this keypadd knows (${MIGRATIONS.length}); ` +
        `upgrade keypadd or restore a matching backup`,
    );
  }
  // Each migration and its version bump commit together: a crash leaves the old or the new schema, never half.
  // The version is read again under the write lock, because another process may have migrated meanwhile.
  const step = db.transaction((): boolean => {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v >= MIGRATIONS.length) return false;
    db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  while (step.immediate());
}

/** The schema version this keypadd writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
