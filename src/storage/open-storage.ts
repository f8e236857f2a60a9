/**
 * The daemon's store, as the file system allows, so that no state of the disk stops the door from starting and
 * deciding: read-write normally; read-only on a data dir that takes no writes (a card gone errors=remount-ro); on a
 * full disk the reserve is freed and the open tried again; and when the file cannot be opened at all, a copy of it in
 * memory. In every degraded mode events and lockout states go to the spool until storage takes them again.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { DATABASE_FILE, dataDirWritable } from './database.js';
import { ensureReserve, isDiskFull, releaseReserve } from './reserve.js';
import { openStore, type Store } from './store.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type StorageMode = 'normal' | 'readonly' | 'snapshot';

export interface OpenedStorage {
  store: Store;
  mode: StorageMode;
  /** Why it is not normal, plainly, for the log, `status`, doctor and MQTT. */
  reason: string | null;
  /** Bytes of the disk reserve freed to open it (an alarm to record), or 0. */
  reserveFreed: number;
}

export function reserveBytes(config: Config): number {
  return Math.round(config.storage.reserve_mb * 1_048_576);
}

export function openStorage(config: Config, env: NodeJS.ProcessEnv, allowNewDatabase: boolean, log: Logger): OpenedStorage {
  const dir = config.data_dir;
  const open = (o: { readonly?: boolean; snapshot?: boolean }) =>
    openStore(dir, env, config.pin_key_file, { ...o, allowNewDatabase, pinStorage: config.pin_policy.storage });
  const probe = dataDirWritable(dir);
  if (!probe.writable) {
    try {
      return { store: open({ readonly: true }), mode: 'readonly', reason: probe.why, reserveFreed: 0 };
    } catch (err) {
      return snapshot(`${probe.why}, and the database cannot be opened in place (${(err as Error).message})`, 0, err);
    }
  }
  try {
    const store = open({});
    ensureReserve(dir, reserveBytes(config));
    return { store, mode: 'normal', reason: null, reserveFreed: 0 };
  } catch (err) {
    if (!diskTrouble(err)) throw err;
    const freed = releaseReserve(dir);
    if (freed > 0) {
      log.error(`the disk is full: freed the ${Math.round(freed / 1024)} KiB reserve to open the database`);
      try {
        return { store: open({}), mode: 'normal', reason: null, reserveFreed: freed };
      } catch (again) {
        if (!diskTrouble(again)) throw again;
        return snapshot('the disk is full', freed, again);
      }
    }
    return snapshot('the disk is full', 0, err);
  }

  function snapshot(reason: string, freed: number, cause: unknown): OpenedStorage {
    // Only a file with no WAL content holds every committed change; with WAL content, the open's error stands.
    const wal = join(dir, `${DATABASE_FILE}-wal`);
    if (existsSync(wal) && statSync(wal).size > 0) throw cause;
    log.error(`${reason}: deciding from a copy of the database in memory; admin changes are not seen until it opens again`);
    return { store: open({ snapshot: true }), mode: 'snapshot', reason, reserveFreed: freed };
  }
}

/** Errors a full or failing disk gives (SQLite cannot grow its -shm or -wal). */
function diskTrouble(err: unknown): boolean {
  return (
    isDiskFull(err) ||
    /SQLITE_IOERR|disk I\/O error|SQLITE_CANTOPEN|unable to open database/.test(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`)
  );
}
