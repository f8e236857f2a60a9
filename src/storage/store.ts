/**
 * The storage a command or the daemon works on: the database and the key its credential digests are made with.
 * Opening refuses a database whose digests were made under another key.
 */
import { credentialDigest, keyFingerprint, loadPinKey } from './pin-key.js';
import { StorageError, openDatabase, type Db } from './database.js';

export interface Store {
  db: Db;
  /** Keyed digest of a credential value, as stored and looked up. */
  digest(value: string): string;
  keyPath: string;
  close(): void;
}

export function openStore(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  keyFile: string | null = null,
  opts: { alreadyChecked?: boolean } = {},
): Store {
  const db = openDatabase(dataDir, opts);
  try {
    const { key, path } = loadPinKey(dataDir, env, keyFile);
    checkKeyMatches(db, keyFingerprint(key), path);
    return {
      db,
      digest: (value) => credentialDigest(key, value),
      keyPath: path,
      close: () => db.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

function checkKeyMatches(db: Db, fingerprint: string, path: string): void {
  db.transaction(() => {
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'pin_key_fingerprint'`).get() as { value: string } | undefined;
    if (!row) {
      db.prepare(`INSERT INTO meta (key, value) VALUES ('pin_key_fingerprint', ?)`).run(fingerprint);
    } else if (row.value !== fingerprint) {
      throw new StorageError(
        `the PIN key ${path} is not the key this database was written with, so no stored PIN or card would match. ` +
          `Restore the original key file (from backup), or start a new data directory.`,
      );
    }
  }).immediate();
}
