/**
 * `keypadd doctor`'s storage checks: the database (read-only: doctor never creates or changes a file, since run as
 * root it would leave files the service cannot write), its key, who owns and who may read the files, the free space
 * and whether the file system went read-only.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { densityLimit } from '../core/pin-rules.js';
import { CredentialRepo } from '../storage/credential-repo.js';
import { DATABASE_FILE, DATABASE_MODE, databasePath, readOnlyMount } from '../storage/database.js';
import { freeBytes, reserveSize } from '../storage/reserve.js';
import { openStore, type Store } from '../storage/store.js';
import { pass, warn, fail, type Check } from './checks.js';

/**
 * Runs `fn` on the store opened read-only. A read-only SQLite connection makes the -wal and -shm files when they are
 * missing (the daemon is stopped) and cannot remove them: those are removed again here, so nothing is left behind.
 */
export function withReadOnlyStore<T>(config: Config, env: NodeJS.ProcessEnv, fn: (store: Store) => T): T {
  const side = [`${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`].map((n) => join(config.data_dir, n));
  const existed = side.map((f) => existsSync(f));
  const store = openStore(config.data_dir, env, config.pin_key_file, { readonly: true });
  try {
    return fn(store);
  } finally {
    store.close();
    side.forEach((f, i) => {
      if (existed[i]) return;
      try {
        if (!f.endsWith('-wal') || statSync(f).size === 0) unlinkSync(f);
      } catch {
        // Not made after all.
      }
    });
  }
}

export function storageChecks(config: Config, env: NodeJS.ProcessEnv): Check[] {
  if (readOnlyMount(config.data_dir)) {
    return [
      fail(
        'database',
        `${config.data_dir} is on a read-only file system: the door decides from the database as it is, and events wait in the spool`,
        'the card had errors: back up the data dir, then check the file system (fsck) and remount it, or move to a new card',
      ),
    ];
  }
  try {
    return withReadOnlyStore(config, env, (store) => {
      const repo = new CredentialRepo(store.db);
      const dense = [4, 5, 6, 7, 8].filter((l) => repo.activePinCount(l) > densityLimit(l));
      return [
        pass('database', `${databasePath(config.data_dir)} opens and passes its integrity check`),
        pass('PIN key', `${store.keyPath} is private and matches the database`),
        dense.length === 0
          ? pass('PIN density', 'every PIN length keeps at least 1000 possible codes per issued code')
          : warn(
              'PIN density',
              `too many active PINs of ${dense.join(', ')} digits for their space (1/1000 rule)`,
              'issue longer PINs (pin_policy.generated_length) and retire short ones',
            ),
      ];
    });
  } catch (err) {
    const msg = (err as Error).message;
    if (/no database in .* yet/.test(msg)) return [pass('database', `${msg} (nothing to check yet)`)];
    const key = /PIN key/.test(msg);
    return [
      fail(
        key ? 'PIN key' : 'database',
        msg,
        key ? 'see the message: restore the key or fix its mode (chmod 600)' : 'restore a backup or move the damaged file aside',
      ),
    ];
  }
}

const DATA_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, 'pin.key', 'control.sock'];

/**
 * Every file in the data directory belongs to the directory's owner (the service user). The usual culprit is the
 * admin CLI run as root before the first start: it creates keypadd.db or pin.key owned by root, and the service
 * then cannot write them.
 */
export function ownershipCheck(config: Config): Check {
  let dirUid: number;
  try {
    dirUid = statSync(config.data_dir).uid;
  } catch {
    return pass('file ownership', `${config.data_dir} does not exist yet (systemd creates it: StateDirectory=keypadd)`);
  }
  const wrong: string[] = [];
  for (const name of DATA_FILES) {
    try {
      const uid = statSync(join(config.data_dir, name)).uid;
      if (uid !== dirUid) wrong.push(`${name} (uid ${uid})`);
    } catch {
      // Not there: nothing to own.
    }
  }
  if (wrong.length === 0) return pass('file ownership', `the files in ${config.data_dir} belong to its owner (uid ${dirUid})`);
  return fail(
    'file ownership',
    `${wrong.join(', ')} in ${config.data_dir} do not belong to its owner (uid ${dirUid}): the service cannot write them`,
    `chown --reference=${config.data_dir} ${config.data_dir}/*  and run the CLI as the service user (sudo -u keypadd keypadd ...)`,
  );
}

/** Who may read the data dir and the database: card numbers, token hashes and (plaintext storage) PINs are in it. */
export function modeChecks(config: Config): Check[] {
  let dirMode: number;
  try {
    dirMode = statSync(config.data_dir).mode & 0o777;
  } catch {
    return [];
  }
  const out: Check[] = [];
  if ((dirMode & 0o007) !== 0) {
    out.push(warn('data dir mode', `${config.data_dir} is mode ${dirMode.toString(8)}: other users can list it`, `chmod 750 ${config.data_dir}`));
  }
  const open = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`].flatMap((name) => {
    try {
      const mode = statSync(join(config.data_dir, name)).mode & 0o777;
      return (mode & ~DATABASE_MODE) !== 0 ? [`${name} (${mode.toString(8)})`] : [];
    } catch {
      return [];
    }
  });
  out.push(
    open.length === 0
      ? pass('database mode', `the database files are readable by the service user and its group only`)
      : fail(
          'database mode',
          `${open.join(', ')} can be read or written by others`,
          `chmod 640 ${config.data_dir}/${DATABASE_FILE}*  (keypadd narrows them itself at its next start)`,
        ),
  );
  return out;
}

export function freeSpaceCheck(config: Config): Check {
  const free = freeBytes(config.data_dir);
  if (free === null) return fail('free space', `cannot read ${config.data_dir}`, 'create the data directory (systemd does: StateDirectory=keypadd)');
  const mb = Math.floor(free / 1_048_576);
  const reserve =
    reserveSize(config.data_dir) > 0 ? '' : `; the ${config.storage.reserve_mb} MB reserve is not there (made again once there is room)`;
  if (mb < 20)
    return fail('free space', `${mb} MB free on ${config.data_dir}${reserve}`, 'free space: events wait in the spool while the disk is full');
  if (mb < 200) return warn('free space', `${mb} MB free on ${config.data_dir}${reserve}`, 'free some space or lower events.retention_days');
  return pass('free space', `${mb} MB free on ${config.data_dir}${reserve}`);
}
