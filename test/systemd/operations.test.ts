/** Operations from the shell: doctor, exit 78 on a bad config, SIGHUP and SIGUSR2 on a running daemon. */
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, requireRoot } from '../helpers/broker.js';
import { BIN, Cli, cleanEnv } from '../helpers/cli.js';
import { configSchema } from '../../src/config/schema.js';
import { serialModules } from '../../src/ops/doctor.js';
import { eventually, simDoor } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';
import { PI_MODELS, writeSysfs } from '../helpers/sysfs.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));
function cli(yaml: (dir: string) => string): Cli {
  const d = scratchDir('keypadd-ops-');
  cleanups.push(d.remove);
  return new Cli(d.dir, yaml(d.dir));
}

describe('keypadd doctor', () => {
  it('passes a healthy setup, resolving each wired line on a Pi 4 (6.6 kernel) sysfs, with its serial keypad there', () => {
    const k = cli((dir) => {
      const sysfs = writeSysfs(dir, PI_MODELS['pi4-kernel6.6']!);
      writeFileSync(join(dir, 'keypad0'), ''); // stands in for /dev/keypad0: doctor checks it is there, readable and writable
      return `clock: { trust: rtc }\ngpio: { sysfs_root: ${sysfs} }\ndoors: [{ id: 1, name: Front, hardware: { relay: { pin: 17 }, wiegand: { d0: 5, d1: 6 } } }, { id: 2, name: Back, hardware: { relay: { pin: 22 }, serial: { path: ${join(dir, 'keypad0')} } } }]\n`;
    });
    const r = k.run('doctor');
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^PASS\s+GPIO\s+controller gpiochip512 "pinctrl-bcm2711", base 512/m);
    expect(r.stdout).toMatch(/^PASS\s+door 1 relay\s+BCM 17 = sysfs GPIO 529/m);
    expect(r.stdout).toMatch(new RegExp(`^PASS\\s+door 2 serial keypad\\s+${join(k.dataDir, 'keypad0')} is there and usable`, 'm'));
    expect(r.stdout).toMatch(/^PASS\s+clock\s+trusted by configuration/m);
    expect(r.stdout).not.toMatch(/^FAIL/m);
  });

  it('fails with the fix for an unreachable broker and a missing serial keypad, exit 1', async () => {
    const port = await freePort();
    const k = cli((dir) => {
      const sysfs = writeSysfs(dir, PI_MODELS['pi4-kernel6.6']!);
      return `mqtt: { url: "mqtt://127.0.0.1:${port}" }\ngpio: { sysfs_root: ${sysfs} }\ndoors: [{ id: 1, name: Front, hardware: { relay: { pin: 17 }, serial: { path: ${join(dir, 'unplugged')} } } }]\n`;
    });
    const r = k.run('doctor');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+MQTT\s+cannot reach mqtt:\/\/127.0.0.1:\d+: .*\n\s+fix: check the broker address/m);
    expect(r.stdout).toMatch(
      /^FAIL\s+door 1 serial keypad\s+\S+\/unplugged does not exist\n\s+fix: plug the keypad in; check the udev rule in hardware\/udev/m,
    );
    expect(r.stdout).toMatch(/^PASS\s+door 1 relay\s+BCM 17 = sysfs GPIO 529/m); // only what is wrong fails
    const j = JSON.parse(k.run('--json', 'doctor').stdout) as { name: string; verdict: string }[];
    expect(j.find((c) => c.name === 'MQTT')!.verdict).toBe('fail');
    expect(j.find((c) => c.name === 'door 1 serial keypad')!.verdict).toBe('fail');
  });

  // chown needs root; as another user the check is the same code and this case cannot be set up.
  const OWNERSHIP = 'fails a database file the service user would not own (the CLI run as root before the first start)';
  it.skipIf(!requireRoot(`doctor ${OWNERSHIP}`, 'it chowns the data dir'))(OWNERSHIP, () => {
    const k = cli(() => 'doors: [{ id: 1, name: Front }]\n');
    expect(k.run('person', 'list').status).toBe(0); // creates keypadd.db and pin.key
    expect(k.run('doctor').stdout).toMatch(/^PASS\s+file ownership/m);
    chownSync(k.dataDir, 4242, 4242); // as if systemd's StateDirectory made it for the service user
    const r = k.run('doctor');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+file ownership\s+keypadd.db \(uid 0\), .*pin.key \(uid 0\) in .* do not belong to its owner \(uid 4242\)/m);
    expect(r.stdout).toMatch(/fix: chown --reference=/);
  });

  it('warns, with the fix, when a serial keypad is configured and the USB serial drivers are not loaded at boot', () => {
    const d = scratchDir('keypadd-modules-');
    cleanups.push(d.remove);
    const file = join(d.dir, 'keypadd.conf');
    const serial = configSchema.parse({ doors: [{ id: 1, name: 'Front', hardware: { relay: { pin: 17 }, serial: { path: '/dev/keypad0' } } }] });
    expect(serialModules(configSchema.parse({ doors: [{ id: 1, name: 'Front' }] }), file)).toMatchObject({
      verdict: 'pass',
      detail: 'no serial keypad configured',
    });
    const missing = serialModules(serial, file);
    expect(missing.verdict).toBe('warn');
    expect(missing.detail).toContain(`${file} does not load usbserial, cdc_acm at boot`);
    expect(missing.fix).toBe(`printf '%s\\n' usbserial cdc_acm > ${file}  (install.sh writes it)`);
    writeFileSync(file, '# a comment\nusbserial\n');
    expect(serialModules(serial, file)).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('does not load cdc_acm at boot') });
    writeFileSync(file, 'usbserial\ncdc_acm\n');
    expect(serialModules(serial, file)).toEqual({ name: 'serial modules', verdict: 'pass', detail: `${file} loads usbserial, cdc_acm at boot` });
  });

  it('reports an invalid config as a failure, with the settings named', () => {
    const r = cli(() => 'pin_policy: { min_length: 2 }\n').run('doctor');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+config\s+pin_policy.min_length: Too small/m);
  });
});

describe('the daemon as a service', () => {
  it('exits 78 (EX_CONFIG) on a configuration it cannot run, so systemd does not restart it in a loop', () => {
    const r = cli(() => 'doors: []\n').run('run', '--sim');
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('doors: at least one door is needed');
  });

  it('writes a fatal start error at priority err (<3> on every line) when stderr is the journal, and only then', () => {
    const k = cli(() => 'pin_policy: { min_length: 2 }\ndoors: []\n');
    const runWithStderrFile = (journalStream: (dev: number, ino: number) => string) => {
      const path = join(k.dataDir, `stderr-${Math.random()}`);
      const fd = openSync(path, 'w');
      const st = fstatSync(fd);
      const r = spawnSync(process.execPath, [BIN, '--data-dir', k.dataDir, 'run', '--sim'], {
        stdio: ['ignore', 'ignore', fd],
        env: cleanEnv({ KEYPADD_CONFIG: k.configFile, JOURNAL_STREAM: journalStream(st.dev, st.ino) }),
      });
      closeSync(fd);
      return { status: r.status, lines: readFileSync(path, 'utf8').trimEnd().split('\n') };
    };
    // JOURNAL_STREAM names stderr (its device and inode): journald reads the prefix as the priority.
    const journal = runWithStderrFile((dev, ino) => `${dev}:${ino}`);
    expect(journal.status).toBe(78);
    expect(journal.lines.length).toBeGreaterThanOrEqual(4); // the heading, one line per problem, the restart advice
    for (const line of journal.lines) expect(line).toMatch(/^<3>/);
    expect(journal.lines).toContain('<3>  pin_policy.min_length: Too small: expected number to be >=4');
    expect(journal.lines.at(-1)).toBe('<3>keypadd: systemd will not restart keypadd for this (exit 78): fix it, then run  systemctl restart keypadd');
    // Inherited by a terminal (a shell started from a unit): plain text, and no systemd advice.
    const terminal = runWithStderrFile(() => '1:1');
    expect(terminal.status).toBe(78);
    expect(terminal.lines[0]).toMatch(/^keypadd: invalid configuration/);
    expect(terminal.lines.some((l) => l.startsWith('<') || l.includes('systemd will not restart'))).toBe(false);
  });

  it('survives SIGHUP (saying a restart applies config) and toggles debug logging on SIGUSR2', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    d.proc!.kill('SIGHUP');
    await eventually(
      () => d.stderr,
      (s) => s.includes('SIGHUP'),
    );
    expect(d.stderr).toContain('apply changes with `systemctl restart keypadd`');
    d.proc!.kill('SIGUSR2');
    await eventually(
      () => d.stderr,
      (s) => s.includes('log level now debug'),
    );
    // A toggle: the second SIGUSR2 goes back to info.
    d.proc!.kill('SIGUSR2');
    const log = await eventually(
      () => d.stderr,
      (s) => s.includes('log level now info'),
    );
    expect([...log.matchAll(/log level now (\w+)/g)].map((m) => m[1])).toEqual(['debug', 'info']);
    expect(d.status().relay).toBe('locked'); // still running and answering
    expect(d.proc!.exitCode).toBe(null);
  });
});
