/**
 * A ballast file in the data dir that keypadd frees when the disk fills, so that it can still open its database
 * (SQLite's -shm and -wal need blocks) and store the events of the moment, and says so with an alarm. It is made again
 * once there is room. A full SD card must never stop the door from starting and deciding.
 */
import { closeSync, fsyncSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const RESERVE_FILE = 'keypadd.reserve';

export const reservePath = (dataDir: string) => join(dataDir, RESERVE_FILE);

/** Bytes free to an unprivileged writer on the data dir's file system, or null when it cannot be read. */
export function freeBytes(dataDir: string): number | null {
  try {
    const s = statfsSync(dataDir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

export function reserveSize(dataDir: string): number {
  try {
    return statSync(reservePath(dataDir)).size;
  } catch {
    return 0;
  }
}

/**
 * Makes the reserve when it is missing and the disk has room for it twice over (never the last free space). Written,
 * not just sized: a sparse file would free nothing. Returns whether a reserve of `bytes` is there now.
 */
export function ensureReserve(dataDir: string, bytes: number): boolean {
  if (bytes <= 0) return false;
  if (reserveSize(dataDir) >= bytes) return true;
  const free = freeBytes(dataDir);
  if (free === null || free < bytes * 3) return false;
  const path = reservePath(dataDir);
  let fd: number | null = null;
  try {
    fd = openSync(path, 'w', 0o600);
    const chunk = Buffer.alloc(Math.min(bytes, 1 << 20));
    for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
    fsyncSync(fd);
    return true;
  } catch {
    if (fd !== null) closeSync(fd);
    fd = null;
    try {
      unlinkSync(path);
    } catch {
      // Never made.
    }
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Frees the reserve; returns the bytes it held (0 when there was none). */
export function releaseReserve(dataDir: string): number {
  const size = reserveSize(dataDir);
  if (size === 0) return 0;
  try {
    unlinkSync(reservePath(dataDir));
    return size;
  } catch {
    return 0;
  }
}

/** Errors that mean the disk is full (SQLite's own, or the file system's). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error)?.message ?? '';
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || /database or disk is full|No space left/i.test(message);
}
