/**
 * What an admin meets when keypadd cannot run, under a real systemd: on plain Debian (no gpio group), with the
 * example config on a machine without GPIO, and with a broken config. Exit 78 is not restarted, and the reason is in
 * `journalctl -p err`, where an admin looks first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireNspawn, type Container } from '../helpers/nspawn.js';
import { BOOT_TIMEOUT_MS, bootWithCheckout, copyCheckout, install, journal, unit, until, useSimulatedDoor } from './installed.js';

const HAVE = requireNspawn('systemd-real');
let c: Container;
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!HAVE)('keypadd.service failing under a real systemd', () => {
  beforeAll(async () => {
    c = await bootWithCheckout();
    await copyCheckout(c);
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => c?.dispose(), 60_000);

  it('installs on plain Debian, which has no gpio group: install.sh creates it, so the unit does not fail 216/GROUP', async () => {
    expect((await c.sh('getent group gpio')).status).toBe(2); // plain Debian: no such group
    // The example config wires GPIO, which this container does not have: the start fails, and install.sh says why.
    const r = await install(c);
    expect(r.stdout).toContain('keypadd install: created group gpio');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('keypadd install: installed, but keypadd did not start. journalctl -u keypadd -b -p err says why');
    expect(await c.ok('id -nG keypadd')).toMatch(/\bgpio\b.*\bdialout\b|\bdialout\b.*\bgpio\b/);
    // The service got as far as keypadd itself: its own exit status, not systemd's 216/GROUP.
    expect((await unit(c, 'ExecMainStatus')).ExecMainStatus).toBe('78');
    expect(await journal(c)).not.toContain('216/GROUP');
  });

  it('exits 78 on GPIO it cannot have, with the fix at priority err, and is not restarted', async () => {
    await settle(4000); // RestartSec=2, twice over: a restart would have happened by now
    expect(await unit(c, 'ActiveState', 'Result', 'ExecMainStatus', 'NRestarts')).toEqual({
      ActiveState: 'failed',
      Result: 'exit-code',
      ExecMainStatus: '78',
      NRestarts: '0',
    });
    const errors = await journal(c, '-p', 'err');
    expect(errors).toContain(
      'keypadd: GPIO: GPIO sysfs interface not found at /sys/class/gpio: keypadd drives GPIO through sysfs (onoff); use a Raspberry Pi OS kernel with CONFIG_GPIO_SYSFS',
    );
    expect(errors).toContain('keypadd: systemd will not restart keypadd for this (exit 78): fix it, then run  systemctl restart keypadd');
    expect((await c.sh('systemctl status keypadd --no-pager')).stdout).toMatch(/Main PID: \d+ \(code=exited, status=78\)/);
    expect(await journal(c)).toContain('keypadd.service: Main process exited, code=exited, status=78/CONFIG');
  });

  it('exits 78 on an invalid configuration, every line of it at priority err, and is not restarted', async () => {
    await useSimulatedDoor(c);
    await c.ok(`printf 'pin_policy: { min_length: 2 }\\ndoors: [{ id: 1, name: Front Door, unlock_ms: 5 }]\\n' > /etc/keypadd/config.yaml`);
    expect((await c.sh('systemctl restart keypadd')).status).not.toBe(0);
    await settle(4000);
    expect(await unit(c, 'ActiveState', 'ExecMainStatus', 'NRestarts')).toEqual({ ActiveState: 'failed', ExecMainStatus: '78', NRestarts: '0' });
    // What this start wrote (not the GPIO failure before it), at priority err.
    const { InvocationID } = await unit(c, 'InvocationID');
    const errors = await c.ok(`journalctl -b -o cat --no-pager -p err _SYSTEMD_INVOCATION_ID=${InvocationID}`);
    expect(errors).toMatch(/^keypadd: invalid configuration \(\/etc\/keypadd\/config\.yaml\):$/m);
    expect(errors).toMatch(/^ {2}pin_policy\.min_length: Too small: expected number to be >=4$/m);
    expect(errors).toMatch(/^ {2}doors\[0\]\.unlock_ms: Too small: expected number to be >=100$/m);
  });

  it('starts again once the admin fixes the config and restarts it', async () => {
    await c.ok(
      `printf 'data_dir: /var/lib/keypadd\\npin_key_file: /etc/keypadd/credentials/pin-key\\ndoors: [{ id: 1, name: Front Door }]\\n' > /etc/keypadd/config.yaml`,
    );
    await c.ok('systemctl restart keypadd');
    const u = await until(c, ['ActiveState', 'SubState'], (s) => s.ActiveState === 'active');
    expect(u).toEqual({ ActiveState: 'active', SubState: 'running' });
  });
});
