/**
 * mqtt.js client options from the configuration. Files (CA, client cert and key, password) are read once at start;
 * the password comes from a file or the systemd credential `mqtt-password`, never from the YAML.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
}

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
    clientId: `keypadd-${m.node_id}`,
    keepaliveS: m.keepalive_s,
    reconnectMaxMs: m.reconnect_max_s * 1000,
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
  return s;
}

function stripNewline(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return b.subarray(0, end);
}
