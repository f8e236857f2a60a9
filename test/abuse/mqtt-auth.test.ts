/**
 * Who may command a door over MQTT, against a real Mosquitto and `keypadd run --sim`: signed commands
 * (mqtt.command_auth: hmac) refuse the unsigned, the stale, the replayed and the forged, with reasons; and the
 * README's broker ACL, run verbatim, keeps a read-only login from unlocking the door or forging its state.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signCommand } from '../../src/mqtt/command-auth.js';
import { requireTool } from '../helpers/broker.js';
import { Consumer } from '../helpers/consumer.js';
import { eventually } from '../helpers/daemon.js';
import { mqttDoor, storedEvents } from '../helpers/mqtt-door.js';

const HAVE = requireTool('mosquitto', 'MQTT abuse') && requireTool('openssl', 'MQTT abuse');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const TOPIC = 'keypadd/door-ctl/1/set';
const KEY = Buffer.from('9f2c1e7a5b3d48e6a1c0f7b2d9e4a6c3');
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced block that follows the first line of the README containing `marker`. */
function readmeBlock(marker: string): string {
  const at = README.indexOf(marker);
  const m = /```\w*\n([\s\S]*?)```/.exec(README.slice(at));
  if (at < 0 || !m) throw new Error(`no block after ${marker} in the README`);
  return m[1]!;
}

const signed = (command: string, ts: number, key = KEY) => JSON.stringify({ command, ts, hmac: signCommand(key, TOPIC, command, undefined, ts) });

describe.skipIf(!HAVE)('who may command a door over MQTT', () => {
  it('obeys only fresh, correctly signed commands, each once, and says why it refuses the others', async () => {
    const m = await mqttDoor(cleanups, '  commands: true\n  command_auth: hmac\n  command_key_file: KEYFILE\n');
    const keyFile = join(m.d.cli.dataDir, 'mqtt-command-key');
    writeFileSync(keyFile, `${KEY.toString()}\n`, { mode: 0o600 });
    writeFileSync(m.d.cli.configFile, readFileSync(m.d.cli.configFile, 'utf8').replace('KEYFILE', keyFile));
    await m.d.start();
    await m.connected();
    const good = signed('lock', Date.now());
    for (const payload of [
      '{"command":"unlock"}',
      signed('unlock', Date.now() - 120_000),
      signed('unlock', Date.now(), Buffer.from('another key of 32 bytes, no good')),
      JSON.stringify({ ...JSON.parse(signed('lock', Date.now())), command: 'unlock' }),
      good,
      good,
    ]) {
      await m.consumer.publish(TOPIC, payload);
    }
    const results = await eventually(
      () => m.consumer.on('/1/set/result').map((r) => JSON.parse(r.payload) as { accepted: boolean; reason?: string }),
      (r) => r.length >= 6,
    );
    // An accepted command is answered after the door acted, so it may come after a later refusal.
    expect(results.map((r) => r.reason ?? 'accepted').sort()).toEqual(
      [
        'hmac: commands must be signed here (mqtt.command_auth: hmac): send ts and hmac',
        "ts: stale: 120 s from this controller's clock (at most 30 s)",
        'hmac: wrong signature (key, topic or fields differ)',
        'hmac: wrong signature (key, topic or fields differ)',
        'accepted',
        'hmac: replayed: this signed command was already received',
      ].sort(),
    );
    expect(m.d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
    // The README's shell recipe signs as keypadd checks.
    const recipe = readmeBlock('Signed\nfrom a shell:')
      .replace('/etc/keypadd/credentials/mqtt-command-key', keyFile)
      .replace('mosquitto_pub ', `mosquitto_pub -h 127.0.0.1 -p ${m.broker.port} `);
    execFileSync('bash', ['-c', recipe]);
    await eventually(
      () => m.d.status().unlock_count,
      (n) => n === 1,
      10_000,
    );
    const refused = await eventually(
      () => storedEvents(m.d).filter((e) => e.event_type === 'command_refused'),
      (e) => e.reduce((n, x) => n + (x.detail!.count as number), 0) >= 5,
    );
    expect(refused.reduce((n, x) => n + (x.detail!.count as number), 0)).toBe(5);
  });

  it('with the README’s Mosquitto ACL: a read-only login cannot unlock or forge the state; the commander can', async () => {
    // The broker's files are written as it starts: the README's ACL verbatim, and a login for each user in it.
    const brokerFiles = (dir: string) => {
      writeFileSync(join(dir, 'keypadd.acl'), readmeBlock('The ACL file (`/etc/mosquitto/keypadd.acl`)'));
      for (const [i, user] of ['keypadd-door-ctl', 'homeassistant', 'watcher'].entries()) {
        execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', join(dir, 'passwd'), user, `${user}-pw`]);
      }
      return `password_file ${dir}/passwd\nacl_file ${dir}/keypadd.acl\n`;
    };
    const m = await mqttDoor(cleanups, '  commands: true\n  username: keypadd-door-ctl\n  password_file: PWFILE\n', {
      allowAnonymous: false,
      extra: brokerFiles,
    });
    const pwFile = join(m.d.cli.dataDir, 'mqtt-password');
    writeFileSync(pwFile, 'keypadd-door-ctl-pw\n');
    writeFileSync(m.d.cli.configFile, readFileSync(m.d.cli.configFile, 'utf8').replace('PWFILE', pwFile));
    const watcher = new Consumer(m.broker.url, ['keypadd/#'], { username: 'watcher', password: 'watcher-pw' });
    await watcher.start();
    cleanups.push(() => watcher.stop());
    await m.d.start();
    await eventually(
      () => watcher.on('/status'),
      (s) => s.length > 0,
      10_000,
    );
    await watcher.publish(TOPIC, '{"command":"unlock"}');
    await watcher.publish('keypadd/door-ctl/1/state', '{"lock":"unlocked","door":"open"}');
    m.d.key('111190#');
    await eventually(
      () => watcher.on('/1/event'),
      (e) => e.length > 0,
      10_000,
    );
    expect(m.d.status()).toMatchObject({ relay: 'locked', unlock_count: 0 });
    expect(watcher.on('/1/state').some((s) => s.payload.includes('"door":"open"'))).toBe(false);
    const ha = new Consumer(m.broker.url, ['keypadd/door-ctl/1/set/result'], { username: 'homeassistant', password: 'homeassistant-pw' });
    await ha.start();
    cleanups.push(() => ha.stop());
    await ha.publish(TOPIC, '{"command":"unlock"}');
    await eventually(
      () => m.d.status().unlock_count,
      (n) => n === 1,
      10_000,
    );
  }, 60_000);
});
