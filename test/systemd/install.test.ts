/** systemd/install.sh into a temporary root: what it installs, that it is idempotent, and --uninstall. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';
import { freePort } from '../helpers/broker.js';
import { eventually, simDoor } from '../helpers/daemon.js';

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

describe('install.sh --web-cert', () => {
  it('makes a self-signed certificate for the console, kept on later runs, that keypadd serves HTTPS with', async () => {
    const d = scratchDir('keypadd-root-');
    cleanups.push(d.remove);
    const r = install(d.dir, '--web-cert');
    expect(r.status, r.stderr).toBe(0);
    const cert = join(d.dir, 'etc/keypadd/credentials/web-cert.pem');
    const key = join(d.dir, 'etc/keypadd/credentials/web-key.pem');
    expect(r.stdout).toContain(`tls: { cert_file: ${cert}, key_file: ${key} }`);
    expect(statSync(key).mode & 0o077).toBe(0); // --root: no keypadd group to share it with
    const text = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toMatch(/DNS:localhost/);
    expect(text).toMatch(/IP Address:127\.0\.0\.1/);
    expect(text).toMatch(/prime256v1|P-256/);
    const before = readFileSync(cert, 'utf8');
    const again = install(d.dir, '--web-cert');
    expect(again.stdout).toContain('kept the console');
    expect(readFileSync(cert, 'utf8')).toBe(before);

    // The console serves HTTPS with it, and a browser that trusts it (here: this client) gets the login page.
    const port = await freePort();
    const sim = simDoor(`web: { enabled: true, listen: 127.0.0.1:${port}, tls: { cert_file: ${cert}, key_file: ${key} } }\n`, cleanups);
    await sim.start();
    await eventually(
      () => sim.stderr,
      (s) => s.includes('console listening'),
      20_000,
    );
    const page = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://127.0.0.1:${port}/login`, { ca: before }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    expect(page).toContain('Log in');
  }, 120_000);
});
