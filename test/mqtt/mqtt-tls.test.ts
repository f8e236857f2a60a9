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
import { makeClientCertificate, makeServerCertificates } from '../helpers/test-ca.js';

const HAVE = requireTool(['mosquitto', 'openssl', 'mosquitto_passwd'], 'MQTT TLS');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const PASSWORD = 'door-s3cret-Pa55';

/** The test CA's server certificate, as the listener's TLS lines. */
function serverTls(dir: string): string[] {
  makeServerCertificates(dir);
  return [`cafile ${dir}/ca.crt`, `certfile ${dir}/server.crt`, `keyfile ${dir}/server.key`];
}

/** TLS, plus users and an ACL, in the broker's dir. */
function pki(dir: string): string {
  const tls = serverTls(dir);
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'keypadd', PASSWORD], { stdio: 'pipe' });
  execFileSync('mosquitto_passwd', ['-b', join(dir, 'passwd'), 'watcher', 'watch-only'], { stdio: 'pipe' });
  writeFileSync(
    join(dir, 'acl'),
    ['user keypadd', 'topic readwrite keypadd/#', 'topic readwrite homeassistant/#', '', 'user watcher', 'topic read keypadd/#', ''].join('\n'),
  );
  return [...tls, `password_file ${dir}/passwd`, `acl_file ${dir}/acl`].join('\n');
}

describe.skipIf(!HAVE)('MQTT over TLS', () => {
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
    const events = await eventually(
      () => watcher.events(),
      (e) => e.length >= 1,
    );
    expect(events[0]).toMatchObject({ event_type: 'access_granted', channel_id: 1 });
    expect(watcher.on('/availability').map((m) => m.payload)).toContain('online');

    // The same daemon with a wrong password: it says why, keeps retrying, and keeps deciding at the door.
    await d.stop();
    writeFileSync(join(broker.dir, 'wrong.pw'), 'not-the-password\n', { mode: 0o600 });
    const bad = simDoor(mqttConfig('wrong.pw'), cleanups as (() => void)[]);
    await bad.start();
    const refusals = await eventually(
      () => bad.stderr.match(/broker refused the login/g)?.length ?? 0,
      (n) => n >= 2,
      10_000,
    );
    expect(refusals).toBeGreaterThanOrEqual(2); // refused, then retried and refused again
    expect(bad.stderr).toMatch(
      /error keypadd.mqtt: MQTT mqtts:\/\/localhost:\d+: the broker refused the login \(.*\): check mqtt.username and the password file; retrying/,
    );
    expect(bad.stderr).not.toContain('not-the-password');
    expect(bad.key(`${bad.demoPin()}#`).relay).toBe('unlocked');
    expect(bad.cli.json<{ mqtt: { enabled: boolean; connected: boolean } }>('status').mqtt).toMatchObject({ enabled: true, connected: false });
  }, 60_000);

  it('connects with a client certificate (mqtt.cert_file, mqtt.key_file) to a broker that requires one; without, it is refused and retried', async () => {
    const broker = new Broker({
      extra: (dir) => {
        const tls = serverTls(dir);
        makeClientCertificate(dir, 'keypadd');
        makeClientCertificate(dir, 'watcher');
        return [...tls, 'require_certificate true'].join('\n');
      },
    });
    await broker.start();
    cleanups.push(() => broker.dispose());
    const url = `mqtts://localhost:${broker.port}`;
    const file = (name: string) => join(broker.dir, name);
    const watcher = new Consumer(url, ['keypadd/#'], {
      ca: readFileSync(file('ca.crt')),
      cert: readFileSync(file('watcher.crt')),
      key: readFileSync(file('watcher.key')),
    });
    await watcher.start();
    cleanups.push(() => watcher.stop());

    const mqttConfig = (client: string) => `mqtt:\n  url: ${url}\n  node_id: certs1\n  ca_file: ${file('ca.crt')}\n${client}  reconnect_max_s: 1\n`;
    const d = simDoor(mqttConfig(`  cert_file: ${file('keypadd.crt')}\n  key_file: ${file('keypadd.key')}\n`), cleanups as (() => void)[]);
    await d.start();
    d.key(`${d.demoPin()}#`);
    expect(
      (
        await eventually(
          () => watcher.events(),
          (e) => e.length >= 1,
        )
      )[0],
    ).toMatchObject({ event_type: 'access_granted', channel_id: 1 });
    expect(watcher.on('certs1/availability').map((m) => m.payload)).toContain('online');
    await d.stop();

    // The same daemon with no client certificate: the broker ends the handshake; keypadd says so and tries again.
    const bare = simDoor(mqttConfig(''), cleanups as (() => void)[]);
    await bare.start();
    // One line per attempt, with the reason (OpenSSL's alert), however the library words it.
    const attempts = await eventually(
      () => bare.stderr.match(/^error keypadd\.mqtt: MQTT mqtts:\/\/localhost:\d+: .*alert certificate required.*; retrying$/gm)?.length ?? 0,
      (n) => n >= 2,
      10_000,
    );
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(bare.key(`${bare.demoPin()}#`).relay).toBe('unlocked');
    expect(bare.cli.json<{ mqtt: { enabled: boolean; connected: boolean } }>('status').mqtt).toMatchObject({ enabled: true, connected: false });
  }, 60_000);
});
