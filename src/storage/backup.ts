/**
 * An online copy of the database with SQLite's backup API: a consistent snapshot (WAL included) taken page by page
 * while the daemon goes on writing, which a `cp` of keypadd.db (without its -wal) is not. The copy is written beside
 * its destination, checked, then linked into place: an existing file is never overwritten, and an interrupted
 * backup leaves no half-written file under the name asked for.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StorageError, databasePath } from './database.js';

export interface BackupResult {
  file: string;
  bytes: number;
  people: number;
  credentials: number;
  events: number;
}

/** The destination cannot be used (exists, no such directory, not writable). The CLI exits 2 on it. */
export class BackupTargetError extends Error {
  override name = 'BackupTargetError';
}

const ALL_PAGES = 0x7fffffff;

export async function backupDatabase(dataDir: string, target: string): Promise<BackupResult> {
  const file = resolve(target);
  if (existsSync(file)) throw new BackupTargetError(`${file} already exists: keypadd backup never overwrites a file; give a new name`);
  const source = databasePath(dataDir);
  if (!existsSync(source)) throw new StorageError(`there is no database to back up at ${source} (check --data-dir or data_dir)`);
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  createPrivate(tmp);
  try {
    const db = new Database(source, { fileMustExist: true, timeout: 5000 });
    try {
      // Every page in one step, inside one read transaction: a consistent snapshot that writers (WAL) do not wait
      // for. Small steps would restart from the first page each time another process writes, and a busy door could
      // keep a backup restarting.
      await db.backup(tmp, { progress: () => ALL_PAGES });
    } finally {
      db.close();
    }
    const counts = checkCopy(tmp);
    syncFile(tmp);
    try {
      // link() refuses an existing name atomically: a file that appeared meanwhile is not overwritten either.
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new BackupTargetError(`${file} already exists: keypadd backup never overwrites a file; give a new name`);
      throw err;
    }
    syncDirectory(dirname(file));
    return { file, bytes: statSync(file).size, ...counts };
  } finally {
    unlinkSync(tmp);
  }
}

/** The copy holds PIN digests (or PINs, with plaintext storage): owner-only from the first byte. */
function createPrivate(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const dir = dirname(path);
    if (e.code === 'ENOENT') throw new BackupTargetError(`the directory ${dir} does not exist`);
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      throw new BackupTargetError(
        `cannot write in ${dir} (permission denied for uid ${process.getuid?.() ?? '?'}): choose a directory this user may write`,
      );
    }
    throw new BackupTargetError(`cannot write in ${dir}: ${e.message}`);
  }
  closeSync(fd);
}

/** A copy that is one self-contained file (no -wal beside it), passes an integrity check, and says what it holds. */
function checkCopy(path: string): Omit<BackupResult, 'file' | 'bytes'> {
  const copy = new Database(path, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StorageError(`the backup failed its integrity check (${String(check)}); nothing was written`);
    const count = (table: string) => (copy.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { people: count('people'), credentials: count('credentials'), events: count('events') };
  } finally {
    copy.close();
  }
}

/** Durable before it is given its name: the name must never point at a copy a power cut could truncate. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
