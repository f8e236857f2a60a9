/**
 * TLS with a CA and server certificate made by openssl here, password authentication and an ACL file, on a real
 * Mosquitto. A wrong password is logged clearly and retried; the door keeps working.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker, requireTool } from '../helpers/broker.js';
import { Consumer } from '../helpers/consumer.js';
import { eventually, simDoor } from '../helpers/daemon.js';

const HAVE = requireTool(['mosquitto', 'openssl', 'mosquitto_passwd'], 'MQTT TLS');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const PASSWORD = 'door-s3cret-Pa55';

/** A throwaway CA, a server certificate for localhost/127.0.0.1, users and an ACL, in the broker's dir. */
function pki(dir: string): string {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=keypadd test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'keypadd', PASSWORD], { stdio: 'pipe' });
  execFileSync('mosquitto_passwd', ['-b', join(dir, 'passwd'), 'watcher', 'watch-only'], { stdio: 'pipe' });
  writeFileSync(
    join(dir, 'acl'),
    ['user keypadd', 'topic readwrite keypadd/#', 'topic readwrite homeassistant/#', '', 'user watcher', 'topic read keypadd/#', ''].join('\n'),
  );
  return [`cafile ${dir}/ca.crt`, `certfile ${dir}/server.crt`, `keyfile ${dir}/server.key`, `password_file ${dir}/passwd`, `acl_file ${dir}/acl`].join('\n');
}

describe.skipIf(!HAVE)('MQTT over TLS with password and ACL', () => {
  it('publishes over mqtts:// with the CA and a password from a file; a wrong password is logged and retried', async () => {
    const broker = new Broker({ allowAnonymous: false, extra: pki });
    await broker.start();
    cleanups.push(() => broker.dispose());
    const url = `mqtts://localhost:${broker.port}`;
    writeFileSync(join(broker.dir, 'keypadd.pw'), `${PASSWORD}\n`, { mode: 0o600 });
    const mqttConfig = (pwFile: string) =>
      `mqtt:\n  url: ${url}\n  node_id: tls1\n  username: keypadd\n  password_file: ${join(broker.dir, pwFile)}\n  ca_file: ${join(broker.dir, 'ca.crt')}\n  reconnect_max_s: 1\n`;

    const watcher = new Consumer(url, ['keypadd/#'], { username: 'watcher', password: 'watch-only', ca: readFileSync(join(broker.dir, 'ca.crt')) });
    await watcher.start();
    cleanups.push(() => watcher.stop());

    const d = simDoor(mqttConfig('keypadd.pw'), cleanups as (() => void)[]);
    await d.start();
    d.key(`${d.demoPin()}#`);
    const events = await eventually(() => watcher.events(), (e) => e.length >= 1);
    expect(events[0]).toMatchObject({ event_type: 'access_granted', channel_id: 1 });
    expect(watcher.on('/availability').map((m) => m.payload)).toContain('online');

    // The same daemon with a wrong password: it says why, keeps retrying, and keeps deciding at the door.
    await d.stop();
    writeFileSync(join(broker.dir, 'wrong.pw'), 'not-the-password\n', { mode: 0o600 });
    const bad = simDoor(mqttConfig('wrong.pw'), cleanups as (() => void)[]);
    await bad.start();
    const refusals = await eventually(() => bad.stderr.match(/broker refused the login/g)?.length ?? 0, (n) => n >= 2, 10_000);
    expect(refusals).toBeGreaterThanOrEqual(2); // refused, then retried and refused again
    expect(bad.stderr).toMatch(/error keypadd.mqtt: MQTT mqtts:\/\/localhost:\d+: the broker refused the login \(.*\): check mqtt.username and the password file; retrying/);
    expect(bad.stderr).not.toContain('not-the-password');
    expect(bad.key(`${bad.demoPin()}#`).relay).toBe('unlocked');
    expect(bad.cli.json<{ mqtt: { enabled: boolean; connected: boolean } }>('status').mqtt).toMatchObject({ enabled: true, connected: false });
  }, 60_000);
});
