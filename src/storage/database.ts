/**
 * Opens the one SQLite file keypadd keeps: WAL with synchronous=FULL (an event counts as recorded only once it
 * survives power loss), foreign keys on, secure_delete so removed values do not linger in free pages, an integrity
 * check before anything is trusted, and the schema migrations applied in order.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
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
}

export function openDatabase(dataDir: string, opts: OpenOptions = {}): Db {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new StorageError(`cannot create data directory ${dataDir}: ${(err as Error).message}`);
  }
  const file = databasePath(dataDir);
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
    if (err instanceof StorageError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) throw damaged(file, (err as Error).message);
    throw new StorageError(`cannot open database ${file}: ${(err as Error).message}`);
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
