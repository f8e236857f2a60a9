/**
 * The per-installation secret that keys the credential digests. A PIN space of 10^4-10^8 falls to brute force
 * whatever the hash, so the hash is an HMAC under a key kept apart from the database (field notes §8):
 * `$CREDENTIALS_DIRECTORY/pin-key` when systemd provides it, else `pin.key` beside the database, created 0600.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StorageError } from './database.js';

export const PIN_KEY_FILE = 'pin.key';
const KEY_BYTES = 32;

export interface PinKey {
  key: Buffer;
  /** Where it came from, for messages and `keypadd doctor`. */
  path: string;
}

/**
 * Finds the key: systemd's credential, else `keyFile` (config pin_key_file, for the CLI next to an installed
 * service), else `pin.key` beside the database, created on first use. Two processes starting together end up with
 * the same key.
 */
export function loadPinKey(dataDir: string, env: NodeJS.ProcessEnv = process.env, keyFile: string | null = null): PinKey {
  if (!env.CREDENTIALS_DIRECTORY && keyFile) return { key: readKeyFile(keyFile), path: keyFile };
  if (env.CREDENTIALS_DIRECTORY) {
    const path = join(env.CREDENTIALS_DIRECTORY, 'pin-key');
    try {
      return { key: decodeKey(readFileSync(path), path), path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const path = join(dataDir, PIN_KEY_FILE);
  try {
    return { key: readKeyFile(path), path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  createKeyFile(path);
  return { key: readKeyFile(path), path };
}

function readKeyFile(path: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  // Group access is allowed (the keypadd group, for the admin CLI); any access by others is not.
  if ((mode & 0o007) !== 0 || (mode & 0o020) !== 0) {
    throw new StorageError(
      `PIN key ${path} is readable or writable by others (mode ${mode.toString(8)}); anyone who has it and the ` +
        `database can recover every PIN. Fix: chmod 600 ${path} (or 640 with group keypadd)`,
    );
  }
  return decodeKey(readFileSync(path), path);
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
