/**
 * The per-installation secret that keys the credential digests. A PIN space of 10^4-10^8 falls to brute force
 * whatever the hash, so the hash is an HMAC under a key kept apart from the database (a copied database alone then
 * tells nothing):
 * `$CREDENTIALS_DIRECTORY/pin-key` when systemd provides it, else the config's pin_key_file, else `pin.key` beside
 * the database, created 0600 for a new database only.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StorageError } from './database.js';

export const PIN_KEY_FILE = 'pin.key';
/** Where systemd/install.sh keeps the key once installed (LoadCredential= for the service, pin_key_file for the CLI). */
export const INSTALLED_PIN_KEY = '/etc/keypadd/credentials/pin-key';
const KEY_BYTES = 32;

export interface PinKey {
  key: Buffer;
  /** Where it came from, for messages and `keypadd doctor`. */
  path: string;
  /** Which rule found it: systemd's credential, the config's pin_key_file, or the file beside the database. */
  source: 'systemd' | 'pin_key_file' | 'data_dir';
}

/** What an installer who is missing the key (or has the wrong one) should do, in every message about it. */
export const PIN_KEY_HINT =
  `An installed keypadd keeps its key in ${INSTALLED_PIN_KEY}: set \`pin_key_file: ${INSTALLED_PIN_KEY}\` in the ` +
  `config (systemd/config.example.yaml does) and run the CLI as the service user (sudo -u keypadd keypadd ...).`;

/**
 * Finds the key: systemd's credential, else `keyFile` (config pin_key_file, for the CLI next to an installed
 * service), else `pin.key` beside the database, created on first use when `mayCreate` (a database that already
 * holds digests must not get a new key: none of them would match it). Two processes starting together end up with
 * the same key. A named pin_key_file that is missing is refused, never replaced by a new key: it is a typo or a
 * lost key, and either way a new key would orphan every PIN.
 */
export function loadPinKey(dataDir: string, env: NodeJS.ProcessEnv = process.env, keyFile: string | null = null, mayCreate = true): PinKey {
  if (!env.CREDENTIALS_DIRECTORY && keyFile) {
    try {
      return { key: readKeyFile(keyFile), path: keyFile, source: 'pin_key_file' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StorageError(
          `PIN key: pin_key_file ${keyFile} does not exist, and keypadd will not make a new key in its place (no PIN ` +
            `digested under the real key would match it). Point pin_key_file at the key: once installed with ` +
            `install.sh that is ${INSTALLED_PIN_KEY}; or restore the key file from your backup.`,
        );
      }
      throw err;
    }
  }
  if (env.CREDENTIALS_DIRECTORY) {
    const path = join(env.CREDENTIALS_DIRECTORY, 'pin-key');
    try {
      return { key: decodeKey(readFileSync(path), path), path, source: 'systemd' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(err, path);
    }
  }
  const path = join(dataDir, PIN_KEY_FILE);
  try {
    return { key: readKeyFile(path), path, source: 'data_dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!mayCreate) {
    throw new StorageError(
      `PIN key: there is no key at ${path} and no pin_key_file is set, but this database was written with a key; ` +
        `keypadd will not make a new one (no stored PIN or card would match it). ${PIN_KEY_HINT} ` +
        `Otherwise restore the key file from your backup.`,
    );
  }
  createKeyFile(path);
  return { key: readKeyFile(path), path, source: 'data_dir' };
}

/**
 * The key file this installation uses, by the same rules as loadPinKey, without reading or creating it: for messages
 * such as the backup's "keep the key with it".
 */
export function pinKeyLocation(dataDir: string, env: NodeJS.ProcessEnv = process.env, keyFile: string | null = null): string {
  if (env.CREDENTIALS_DIRECTORY) return join(env.CREDENTIALS_DIRECTORY, 'pin-key');
  return keyFile ?? join(dataDir, PIN_KEY_FILE);
}

/** Permission problems say who may read the key, instead of a bare EACCES. */
function unreadable(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM') return err;
  return new StorageError(
    `PIN key: cannot read ${path} (permission denied). Run the CLI as a user who may: once installed, the service ` +
      `user (sudo -u keypadd keypadd ...), whose group can read ${INSTALLED_PIN_KEY}.`,
  );
}

function readKeyFile(path: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (err) {
    throw unreadable(err, path);
  }
  // Group access is allowed (the keypadd group, for the admin CLI); any access by others is not.
  if ((mode & 0o007) !== 0 || (mode & 0o020) !== 0) {
    throw new StorageError(
      `PIN key ${path} is readable or writable by others (mode ${mode.toString(8)}); anyone who has it and the ` +
        `database can recover every PIN. Fix: chmod 600 ${path} (or 640 with group keypadd)`,
    );
  }
  try {
    return decodeKey(readFileSync(path), path);
  } catch (err) {
    throw unreadable(err, path);
  }
}

/** The key file holds 64 hex digits (so it can be copied into `systemd-creds`); raw bytes are accepted too. */
function decodeKey(content: Buffer, path: string): Buffer {
  const text = content.toString('latin1').trim();
  const key = /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : content;
  if (key.length < KEY_BYTES) throw new StorageError(`PIN key ${path} is too short: it needs at least ${KEY_BYTES} bytes`);
  return key;
}

function createKeyFile(path: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES).toString('hex') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // link() fails if another process got there first; then both use its key.
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  // The directory entry must survive power loss too, or the PINs digested under this key become unmatchable.
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Keyed digest of a credential value: what is stored and looked up. */
export function credentialDigest(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

/**
 * A short fingerprint of the key, kept in the database so that opening it with another key (a lost or replaced
 * key file) is refused instead of silently making every stored PIN unmatchable.
 */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('keypadd pin-key fingerprint v1').digest('base64url').slice(0, 22);
}
