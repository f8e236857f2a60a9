/**
 * systemd/install.sh on a real systemd, as an admin runs it: over an existing data dir (its PIN key is moved), the
 * serial driver list and doctor's check of it, an upgrade (the daemon restarted on the new app), --uninstall, and a
 * node the service could not run (nvm, under /home).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireNspawn, type Container } from '../helpers/nspawn.js';
import { BOOT_TIMEOUT_MS, bootWithCheckout, cli, COPY, copyCheckout, install, unit, until, useSimulatedDoor, type DoorStatus } from './installed.js';

const HAVE = requireNspawn('systemd-real');
const KEY = '/etc/keypadd/credentials/pin-key';
const MODULES = '/etc/modules-load.d/keypadd.conf';
let c: Container;
let pin: string;

describe.skipIf(!HAVE)('systemd/install.sh under a real systemd', () => {
  beforeAll(async () => {
    c = await bootWithCheckout();
    await copyCheckout(c);
    await useSimulatedDoor(c);
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => c?.dispose(), 60_000);

  it('moves the PIN key of an existing data dir into the credential, and the service opens that database with it', async () => {
    // Tried out before installing: the CLI from the checkout, as root, on the default data dir.
    const pre = `node ${COPY}/bin/keypadd --data-dir /var/lib/keypadd --json`;
    const person = JSON.parse(await c.ok(`${pre} person add --first-name Ada --last-name Lovelace`)) as { id: number };
    pin = (JSON.parse(await c.ok(`${pre} pin add --person ${person.id}`)) as { value: string }).value;
    const key = (await c.ok('cat /var/lib/keypadd/pin.key')).trim();

    const r = await install(c);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`keypadd install: moved the existing PIN key /var/lib/keypadd/pin.key to ${KEY}`);
    expect((await c.sh('test -e /var/lib/keypadd/pin.key')).status).toBe(1);
    expect((await c.ok(`cat ${KEY}`)).trim()).toBe(key);
    // One copy of the secret on disk, not two.
    expect((await c.ok(`grep -rlF '${key}' /etc /var /opt /root || true`)).trim().split('\n')).toEqual([KEY]);
    // The service found the database's PINs with the moved key (a wrong key would refuse the database).
    expect((await unit(c, 'ActiveState')).ActiveState).toBe('active');
    expect((await cli<DoorStatus>(c, 'sim', 'key', `${pin}#`)).relay).toBe('unlocked');
    // And the admin CLI, as the service user, reads it through pin_key_file.
    expect((await cli<{ id: number }[]>(c, 'person', 'list')).map((p) => p.id)).toContain(person.id);
  });

  it('has the USB serial drivers loaded at boot, and doctor checks it', async () => {
    expect((await c.ok(`grep -v '^#' ${MODULES}`)).trim().split('\n')).toEqual(['usbserial', 'cdc_acm']);
    // A door with a serial keypad, in a config the service user can read.
    await c.ok(
      `printf 'pin_key_file: ${KEY}\\ndoors: [{ id: 1, name: Front Door, hardware: { relay: { pin: 17 }, serial: { path: /dev/keypad0 } } }]\\n' > /tmp/serial.yaml && chmod 644 /tmp/serial.yaml`,
    );
    const doctor = async () => (await c.sh('sudo -u keypadd keypadd --config /tmp/serial.yaml doctor')).stdout;
    expect(await doctor()).toMatch(/^PASS\s+serial modules\s+\/etc\/modules-load\.d\/keypadd\.conf loads usbserial, cdc_acm at boot$/m);
    await c.ok(`rm ${MODULES}`);
    expect(await doctor()).toMatch(
      /^WARN\s+serial modules\s+\/etc\/modules-load\.d\/keypadd\.conf does not load usbserial, cdc_acm at boot: .*\n\s+fix: printf '%s\\n' usbserial cdc_acm > \/etc\/modules-load\.d\/keypadd\.conf/m,
    );
  });

  it('upgrades in place: the running daemon is restarted on the new app, with config and key kept', async () => {
    const before = await unit(c, 'MainPID');
    const oldMaps = await c.ok(`grep -c . /proc/${before.MainPID}/maps`);
    expect(Number(oldMaps)).toBeGreaterThan(0);
    await c.ok(`sed -i 's/"version": "[^"]*"/"version": "0.1.1-upgrade"/' ${COPY}/package.json`);
    const r = await install(c);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const after = await until(c, ['MainPID', 'ActiveState'], (u) => u.ActiveState === 'active' && u.MainPID !== before.MainPID);
    expect(after.MainPID).not.toBe(before.MainPID);
    expect((await cli<{ version: string; running: boolean }>(c, 'status')).version).toBe('0.1.1-upgrade');
    // Nothing the daemon has mapped (node, better-sqlite3's binary) was deleted under it.
    expect(await c.ok(`grep '(deleted)' /proc/${after.MainPID}/maps || true`)).toBe('');
    expect((await c.sh('ls -d /opt/keypadd.new /opt/keypadd.old')).status).not.toBe(0);
    expect((await c.ok(`grep -v '^#' ${MODULES}`)).trim().split('\n')).toEqual(['usbserial', 'cdc_acm']); // written again
    expect((await cli<DoorStatus>(c, 'sim', 'key', `${pin}#`)).relay).toBe('unlocked');
  });

  it('uninstalls the app, the unit and the keypadd command, keeping config, key and database', async () => {
    const r = await install(c, '--uninstall');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect((await c.sh('test -e /usr/local/bin/keypadd || test -L /usr/local/bin/keypadd')).status).toBe(1); // not even dangling
    expect((await c.sh('ls -d /opt/keypadd /etc/systemd/system/keypadd.service ' + MODULES)).status).not.toBe(0);
    expect(await unit(c, 'LoadState', 'ActiveState')).toEqual({ LoadState: 'not-found', ActiveState: 'inactive' });
    expect((await c.sh('pgrep -u keypadd')).status).toBe(1); // no daemon left running
    await c.ok(`test -s /etc/keypadd/config.yaml && test -s ${KEY} && test -s /var/lib/keypadd/keypadd.db`);
  });

  it('refuses a node the service could not run (nvm, under /home), with the fix', async () => {
    const nvm = '/home/dev/.nvm/versions/node/v20.19.0/bin/node';
    await c.ok(`mkdir -p $(dirname ${nvm}) && mv /usr/local/bin/node ${nvm} && ln -s ${nvm} /usr/local/bin/node`);
    try {
      // Why: under the unit's ProtectHome=yes, bin/keypadd's `#!/usr/bin/env node` cannot run it as the service user
      // (status 126; root would see an empty /home instead).
      expect((await c.sh('systemd-run --wait --quiet -p ProtectHome=yes -p User=nobody /usr/bin/env node --version')).status).toBe(126);
      const r = await install(c);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `keypadd install: the service would run /usr/local/bin/node, which is ${nvm}: ProtectHome=yes hides /home, /root and /run/user from the service, so it would fail (status 126). Install Node >= 20.19 system-wide`,
      );
      expect(r.stderr).toContain(`sudo rm /usr/local/bin/node && sudo cp ${nvm} /usr/local/bin/node`);
      expect((await c.sh('ls -d /opt/keypadd /etc/systemd/system/keypadd.service')).status).not.toBe(0); // nothing installed
    } finally {
      await c.ok(`rm /usr/local/bin/node && mv ${nvm} /usr/local/bin/node`);
    }
  });
});
