/**
 * mqtt.js client options from the configuration. Files (CA, client cert and key, password) are read once at start;
 * the password comes from a file or the systemd credential `mqtt-password`, never from the YAML.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import type { Config } from '../config/schema.js';

/** Everything the publisher worker needs to connect (plain data: it crosses the thread boundary). */
export interface ConnectionSettings {
  url: string;
  clientId: string;
  username?: string;
  password?: Buffer;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  keepaliveS: number;
  reconnectMaxMs: number;
  /** The shared key signed commands are checked with (mqtt.command_auth: hmac); absent otherwise. */
  commandKey?: Buffer;
  /** A signed command older than this (or from further ahead) is refused as a replay. */
  commandMaxAgeMs: number;
}

/** A key shorter than this is refused: it could be guessed offline from one signed command. */
const MIN_COMMAND_KEY_BYTES = 16;

export class MqttSettingsError extends Error {
  override name = 'MqttSettingsError';
}

function read(field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new MqttSettingsError(`mqtt.${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export function connectionSettings(config: Config, env: NodeJS.ProcessEnv = process.env): ConnectionSettings | null {
  const m = config.mqtt;
  if (m.url === null) return null;
  const s: ConnectionSettings = {
    url: m.url,
    // A random suffix: a client that takes over a predictable id (MQTT drops the older connection) cannot knock
    // keypadd off the broker over and over. The last will is per connection, so it still fires.
    clientId: `keypadd-${m.node_id}-${randomBytes(4).toString('hex')}`,
    keepaliveS: m.keepalive_s,
    reconnectMaxMs: m.reconnect_max_s * 1000,
    commandMaxAgeMs: m.command_max_age_s * 1000,
  };
  if (m.username) s.username = m.username;
  const credential = env.CREDENTIALS_DIRECTORY ? join(env.CREDENTIALS_DIRECTORY, 'mqtt-password') : null;
  if (m.password_file) s.password = stripNewline(read('password_file', m.password_file));
  else if (credential) {
    try {
      s.password = stripNewline(readFileSync(credential));
    } catch {
      // No credential of that name: connect without a password.
    }
  }
  // install.sh leaves an empty credential file until a password is set: that means no password.
  if (s.password?.length === 0) delete s.password;
  if (m.ca_file) s.ca = read('ca_file', m.ca_file);
  if (m.cert_file) s.cert = read('cert_file', m.cert_file);
  if (m.key_file) s.key = read('key_file', m.key_file);
  if (m.command_auth === 'hmac') s.commandKey = commandKey(m.command_key_file, env);
  return s;
}

/** The command key: mqtt.command_key_file, else the systemd credential `mqtt-command-key`; missing or short is an error. */
function commandKey(file: string | null, env: NodeJS.ProcessEnv): Buffer {
  const path = file ?? (env.CREDENTIALS_DIRECTORY ? join(env.CREDENTIALS_DIRECTORY, 'mqtt-command-key') : null);
  if (path === null)
    throw new MqttSettingsError(
      'mqtt.command_key_file: signed commands (command_auth: hmac) need a key: set command_key_file, or the mqtt-command-key credential',
    );
  const key = stripNewline(read('command_key_file', path));
  if (key.length < MIN_COMMAND_KEY_BYTES)
    throw new MqttSettingsError(
      `mqtt.command_key_file: ${path} holds ${key.length} bytes; a key needs at least ${MIN_COMMAND_KEY_BYTES} (openssl rand -hex 32)`,
    );
  return key;
}

function stripNewline(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return b.subarray(0, end);
}

/**
 * The mqtt.js options for these settings, with the retained last will `offline` on `availabilityTopic`. Reconnects
 * are keypadd's: the publisher worker widens reconnectPeriod itself (core/backoff.ts) after each close.
 */
export function clientOptions(s: ConnectionSettings, availabilityTopic: string): IClientOptions {
  // workerData is a structured clone: Buffers arrive as plain Uint8Arrays, which mqtt-packet refuses as a password.
  const buf = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b));
  return {
    clientId: s.clientId,
    username: s.username,
    password: buf(s.password),
    ca: buf(s.ca),
    cert: buf(s.cert),
    key: buf(s.key),
    rejectUnauthorized: true,
    keepalive: s.keepaliveS,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1000,
    // mqtt.js gives up after a refused login (CONNACK error) unless told otherwise; keypadd keeps trying.
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    queueQoSZero: false,
    will: { topic: availabilityTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
  };
}

/** A client error as one log line, naming the setting to check when the broker refused the login. */
export function connectionProblem(err: Error & { code?: number | string }): string {
  const why =
    err.code === 4 || err.code === 5 || err.code === 134 || err.code === 135
      ? `the broker refused the login (${err.message}): check mqtt.username and the password file`
      : err.message;
  // One line per problem: OpenSSL's messages end with a newline.
  return why.replace(/\s*\n\s*/g, ' ').trim();
}
