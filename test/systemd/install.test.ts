/** systemd/install.sh into a temporary root: what it installs, that it is idempotent, and --uninstall. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));
const install = (root: string, ...args: string[]) =>
  spawnSync('bash', [join(ROOT, 'systemd', 'install.sh'), '--root', root, ...args], { encoding: 'utf8', env: cleanEnv() });

describe('systemd/install.sh', () => {
  it('installs the app with production dependencies, the unit, an example config and the credentials; idempotent', () => {
    const d = scratchDir('keypadd-root-');
    cleanups.push(d.remove);
    const r = install(d.dir);
    expect(r.status, r.stderr).toBe(0);
    const app = join(d.dir, 'opt/keypadd');
    expect(existsSync(join(app, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/better-sqlite3'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false); // production dependencies only
    expect(readFileSync(join(d.dir, 'etc/systemd/system/keypadd.service'), 'utf8')).toContain('Type=notify');
    const key = join(d.dir, 'etc/keypadd/credentials/pin-key');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    for (const c of ['mqtt-password', 'upstream-token']) expect(statSync(join(d.dir, 'etc/keypadd/credentials', c)).mode & 0o777).toBe(0o600);
    // USB serial keypad drivers at boot (the unit's DeviceAllow= resolves device majors when it starts).
    const modules = join(d.dir, 'etc/modules-load.d/keypadd.conf');
    expect(
      readFileSync(modules, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#')),
    ).toEqual(['usbserial', 'cdc_acm']);

    // The installed app runs on its own modules, with the installed config and the credential key.
    const config = join(d.dir, 'etc/keypadd/config.yaml');
    const run = (...args: string[]) =>
      execFileSync(join(app, 'bin/keypadd'), ['--config', config, '--data-dir', join(d.dir, 'data'), ...args], {
        encoding: 'utf8',
        env: cleanEnv({ CREDENTIALS_DIRECTORY: join(d.dir, 'etc/keypadd/credentials') }),
      });
    expect(run('config', 'check')).toMatch(/^Configuration OK/);
    run('person', 'add', '--first-name', 'A', '--last-name', 'B');
    expect(run('pin', 'add', '--person', '1')).toMatch(/PIN for person 1: \d{6}/);

    // Again: an edited config and the key are kept.
    writeFileSync(config, readFileSync(config, 'utf8').replace('My Building', 'Edited'));
    const keyBefore = readFileSync(key, 'utf8');
    expect(install(d.dir).status).toBe(0);
    expect(readFileSync(config, 'utf8')).toContain('Edited');
    expect(readFileSync(key, 'utf8')).toBe(keyBefore);

    const u = install(d.dir, '--uninstall');
    expect(u.status).toBe(0);
    expect(existsSync(app)).toBe(false);
    expect(existsSync(join(d.dir, 'etc/systemd/system/keypadd.service'))).toBe(false);
    expect(existsSync(modules)).toBe(false);
    expect(existsSync(config)).toBe(true);
    expect(existsSync(key)).toBe(true);
  }, 60_000);
});
