/**
 * The storage a command or the daemon works on: the database and the key its credential digests are made with.
 * Opening refuses a database whose digests were made under another key.
 */
import { PIN_KEY_HINT, credentialDigest, keyFingerprint, loadPinKey, type PinKey } from './pin-key.js';
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
    // A database that already records a key gets no new one: a key made now could match none of its digests.
    const pinKey = loadPinKey(dataDir, env, keyFile, storedFingerprint(db) === undefined);
    checkKeyMatches(db, keyFingerprint(pinKey.key), pinKey);
    const { key, path } = pinKey;
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

function storedFingerprint(db: Db): string | undefined {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'pin_key_fingerprint'`).get() as { value: string } | undefined;
  return row?.value;
}

const KEY_SOURCE: Record<PinKey['source'], string> = {
  systemd: "systemd's credential ($CREDENTIALS_DIRECTORY/pin-key)",
  pin_key_file: "the config's pin_key_file",
  data_dir: 'the default beside the database, as no pin_key_file is set',
};

function checkKeyMatches(db: Db, fingerprint: string, pinKey: PinKey): void {
  db.transaction(() => {
    const stored = storedFingerprint(db);
    if (stored === undefined) {
      db.prepare(`INSERT INTO meta (key, value) VALUES ('pin_key_fingerprint', ?)`).run(fingerprint);
    } else if (stored !== fingerprint) {
      throw new StorageError(
        `the PIN key ${pinKey.path} (${KEY_SOURCE[pinKey.source]}) is not the key this database was written with, ` +
          `so no stored PIN or card would match; nothing was changed. ${PIN_KEY_HINT} Otherwise restore the ` +
          `original key file (from backup), or start a new data directory.`,
      );
    }
  }).immediate();
}
