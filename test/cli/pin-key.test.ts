/**
 * An installer's first day with the PIN key: the service gets the key from systemd, the admin CLI from the config's
 * pin_key_file. With a hardware example as the config both use the same key; without the setting, or with a
 * wrong path, the CLI refuses with what to set and never makes a second key beside the database.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Cli, ROOT } from '../helpers/cli.js';
import { SimDaemon } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';

const INSTALLED_KEY = '/etc/keypadd/credentials/pin-key';
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

/** A root laid out as install.sh leaves it: the key in etc/keypadd/credentials, the data in var/lib/keypadd. */
function installedRoot(): { root: string; credentials: string; dataDir: string; example: (file: string) => string } {
  const d = scratchDir('keypadd-installed-');
  cleanups.push(d.remove);
  const credentials = join(d.dir, 'etc/keypadd/credentials');
  mkdirSync(credentials, { recursive: true, mode: 0o700 });
  writeFileSync(join(credentials, 'pin-key'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  const dataDir = join(d.dir, 'var/lib/keypadd');
  mkdirSync(dataDir, { recursive: true });
  // The example as shipped, with its absolute key path moved under the scratch root.
  const example = (file: string) => readFileSync(join(ROOT, 'hardware/examples', file), 'utf8').replaceAll(INSTALLED_KEY, join(d.dir, INSTALLED_KEY));
  return { root: d.dir, credentials, dataDir, example };
}

describe('the PIN key on an installed keypadd', () => {
  it('with a hardware example as the config, a PIN made by the admin CLI opens the door the service drives', async () => {
    const inst = installedRoot();
    const yaml = inst.example('wiegand-relay.yaml');
    expect(yaml).toContain(`pin_key_file: ${inst.root}${INSTALLED_KEY}`);
    // The service, as systemd runs it: the key comes from its credential directory.
    const service = new SimDaemon(new Cli(inst.dataDir, yaml));
    service.cli.extraEnv = { CREDENTIALS_DIRECTORY: inst.credentials };
    cleanups.push(() => void service.stop('SIGKILL'));
    await service.start();

    // The admin CLI, as `sudo -u keypadd keypadd ...`: no systemd credential, only the config.
    const admin = new Cli(inst.dataDir, yaml);
    admin.json('person', 'add', '--first-name', 'Ada', '--last-name', 'Lovelace');
    const pin = admin.json<{ value: string }>('pin', 'add', '--person', '2').value;
    expect(service.key(`${pin}#`).relay).toBe('unlocked');
    expect(existsSync(join(inst.dataDir, 'pin.key'))).toBe(false);
  });

  it('without pin_key_file the CLI refuses, naming the setting and the installed key, and makes no key', async () => {
    const inst = installedRoot();
    const service = new SimDaemon(new Cli(inst.dataDir, inst.example('two-doors.yaml')));
    service.cli.extraEnv = { CREDENTIALS_DIRECTORY: inst.credentials };
    cleanups.push(() => void service.stop('SIGKILL'));
    await service.start();
    await service.stop();

    const old = inst.example('two-doors.yaml').replace(/^pin_key_file: .*\n/m, '');
    const r = new Cli(inst.dataDir, old).run('person', 'list');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`keypadd: PIN key: there is no key at ${join(inst.dataDir, 'pin.key')} and no pin_key_file is set`);
    expect(r.stderr).toContain(`set \`pin_key_file: ${INSTALLED_KEY}\` in the config`);
    expect(existsSync(join(inst.dataDir, 'pin.key'))).toBe(false);
  });

  it('refuses a pin_key_file that does not exist, even on a new database, instead of making a key', () => {
    const inst = installedRoot();
    const typo = join(inst.credentials, 'pin-kye');
    const r = new Cli(inst.dataDir, `pin_key_file: ${typo}\n`).run('person', 'list');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`keypadd: PIN key: pin_key_file ${typo} does not exist, and keypadd will not make a new key in its place`);
    expect(r.stderr).toContain(INSTALLED_KEY);
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(join(inst.dataDir, 'pin.key'))).toBe(false);
    expect(existsSync(join(inst.dataDir, 'keypadd.db'))).toBe(true);
  });

  it('a key left beside the database by an older CLI is refused with the setting that fixes it', async () => {
    const inst = installedRoot();
    const service = new SimDaemon(new Cli(inst.dataDir, inst.example('serial-keypad-relay.yaml')));
    service.cli.extraEnv = { CREDENTIALS_DIRECTORY: inst.credentials };
    cleanups.push(() => void service.stop('SIGKILL'));
    await service.start();
    await service.stop();
    writeFileSync(join(inst.dataDir, 'pin.key'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });

    const r = new Cli(inst.dataDir, 'site: { time_zone: UTC }\n').run('person', 'list');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `keypadd: the PIN key ${join(inst.dataDir, 'pin.key')} (the default beside the database, as no pin_key_file is set) is not the key this database was written with`,
    );
    expect(r.stderr).toContain(`set \`pin_key_file: ${INSTALLED_KEY}\` in the config`);
    // With the setting, the same CLI works.
    expect(new Cli(inst.dataDir, `pin_key_file: ${join(inst.credentials, 'pin-key')}\n`).run('person', 'list').status).toBe(0);
  });
});
