/** The unit file: hardened to the exposure the README documents, `systemd-analyze verify` clean, GPIO and serial reachable. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { ROOT } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const UNIT = join(ROOT, 'systemd', 'keypadd.service');
const text = readFileSync(UNIT, 'utf8');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

describe('systemd/keypadd.service', () => {
  it.each([
    'Type=notify',
    'NotifyAccess=all',
    'WatchdogSec=20',
    'Restart=always',
    'StartLimitBurst=5',
    'RestartPreventExitStatus=78',
    'SupplementaryGroups=gpio dialout',
    'StateDirectory=keypadd',
    'ConfigurationDirectory=keypadd',
    'LoadCredential=pin-key:',
    'LoadCredential=mqtt-password:',
    'LoadCredential=upstream-token:',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'SystemCallFilter=@system-service',
    'SystemCallFilter=setpriority\n',
    'PrivateMounts=yes',
    'CapabilityBoundingSet=\n',
    'SyslogIdentifier=keypadd',
  ])('has %j', (line) => {
    expect(text).toContain(line);
  });

  it('does not hide GPIO sysfs or serial devices', () => {
    expect(text).not.toMatch(/^PrivateDevices=yes/m);
    expect(text).not.toMatch(/^ProtectKernelTunables=yes/m);
    expect(text).toMatch(/^DeviceAllow=char-ttyUSB rw/m);
  });

  it('does not hold the door back at boot for the network or time sync', () => {
    const directives = text.split('\n').filter((l) => !l.startsWith('#'));
    expect(directives.filter((l) => /network-online\.target|time-sync\.target|network\.target/.test(l))).toEqual([]);
  });

  it('comments every hardening line with why it is safe', () => {
    const body = text.slice(text.indexOf('# ---- Hardening'), text.indexOf('[Install]')).trim().split('\n');
    // Each group of directives is preceded by a comment line.
    let commented = false;
    for (const line of body) {
      if (line.startsWith('#')) commented = true;
      else if (line.trim() === '') commented = false;
      else expect(commented, line).toBe(true);
    }
  });

  const HAVE = requireTool('systemd-analyze', 'systemd unit');
  // The README promises one figure; a unit change that moves it must move the README too.
  const documented = /Hardening to an exposure of (\d+\.\d) in `systemd-analyze security`/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  it.skipIf(!HAVE)('scores exactly the exposure the README documents in `systemd-analyze security --offline=true`', () => {
    expect(documented, 'README: "Hardening to an exposure of N.N"').not.toBeNull();
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', UNIT], { encoding: 'utf8' });
    const score = /Overall exposure level for keypadd.service: ([\d.]+)/.exec(r.stdout);
    expect(score, r.stdout + r.stderr).not.toBeNull();
    expect(score![1]).toBe(documented![1]);
    // security parses the unit too: whatever it objects to (an unknown key) is on stderr.
    expect(r.stderr).toBe('');
  });

  it.skipIf(!HAVE)('passes `systemd-analyze verify` with no finding at all', () => {
    const d = scratchDir('keypadd-unit-');
    cleanups.push(d.remove);
    // verify checks that ExecStart exists: point it at this checkout's binary.
    const unit = join(d.dir, 'keypadd.service');
    writeFileSync(unit, text.replace('ExecStart=/opt/keypadd/bin/keypadd run', `ExecStart=${join(ROOT, 'bin', 'keypadd')} run`));
    // verify reports findings (an unknown or misspelt key) on stderr and still exits 0: any output is a finding.
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });
});
