/**
 * The shipped unit under a real systemd (PID 1 of a systemd-nspawn container), installed by install.sh: start
 * without the network, Type=notify, STATUS=, the helper threads' niceness, SIGKILL, the watchdog, a clean stop.
 * Everything is read the way an admin reads it: `systemctl show`, `systemctl status`, `journalctl`, the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireNspawn, type Container } from '../helpers/nspawn.js';
import {
  BOOT_TIMEOUT_MS,
  bootWithCheckout,
  cli,
  copyCheckout,
  door,
  install,
  journal,
  personWithPin,
  unit,
  until,
  useSimulatedDoor,
  type DoorStatus,
} from './installed.js';

const HAVE = requireNspawn('systemd-real');
let c: Container;
let pin: string;

describe.skipIf(!HAVE)('keypadd.service under a real systemd', () => {
  beforeAll(async () => {
    c = await bootWithCheckout();
    await copyCheckout(c);
    await useSimulatedDoor(c);
    const r = await install(c);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    ({ pin } = await personWithPin(c));
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => c?.dispose(), 60_000);

  it('starts at once while the network is still coming up (no network-online.target or time-sync ordering)', async () => {
    // A wait-online that takes 20 s, as NetworkManager-wait-online can at boot: network-online.target waits for it.
    await c.ok(
      `printf '[Unit]\\nBefore=network-online.target\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/sleep 20\\n[Install]\\nWantedBy=network-online.target\\n' > /etc/systemd/system/slow-wait-online.service && systemctl daemon-reload && systemctl enable slow-wait-online`,
    );
    // As at boot: neither the door nor the network is up yet.
    await c.ok('systemctl stop keypadd network-online.target');
    const started = Date.now();
    await c.ok('systemctl start keypadd', { timeoutMs: 40_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await unit(c, 'ActiveState')).ActiveState).toBe('active');
    // Starting keypadd did not pull the network in, let alone wait for it.
    expect((await c.sh('systemctl is-active network-online.target slow-wait-online')).stdout.split('\n').slice(0, 2)).toEqual([
      'inactive',
      'inactive',
    ]);
    await c.ok('systemctl disable slow-wait-online && rm /etc/systemd/system/slow-wait-online.service && systemctl daemon-reload');
  });

  it('is activating, with the daemon running, until it sends READY=1, and active after (Type=notify)', async () => {
    await c.ok('systemctl stop keypadd');
    // Sampled inside the container every 10 ms while systemd starts the unit: Node alone takes longer than that.
    const trace = await c.ok(
      `systemctl start --no-block keypadd; for i in $(seq 1500); do s=$(systemctl show keypadd -p ActiveState,SubState,MainPID | paste -sd' '); echo "$s"; case "$s" in *=active\\ *|*=failed\\ *) break;; esac; sleep 0.01; done`,
    );
    const samples = trace
      .trim()
      .split('\n')
      .map((l) => Object.fromEntries(l.split(' ').map((kv) => kv.split('=') as [string, string])));
    const waiting = samples.filter((s) => s.ActiveState === 'activating' && s.SubState === 'start' && s.MainPID !== '0');
    expect(waiting.length, trace).toBeGreaterThan(0);
    const last = samples.at(-1)!;
    expect(last).toMatchObject({ ActiveState: 'active', SubState: 'running', MainPID: waiting[0]!.MainPID });
    // The process systemd waited for is the daemon itself, not a launcher that forked it.
    expect(await c.ok(`tr '\\0' ' ' < /proc/${last.MainPID}/cmdline`)).toMatch(/node \/opt\/keypadd\/bin\/keypadd run --sim/);
    const t = await unit(c, 'ExecMainStartTimestampMonotonic', 'ActiveEnterTimestampMonotonic');
    const readyAfterMs = (Number(t.ActiveEnterTimestampMonotonic) - Number(t.ExecMainStartTimestampMonotonic)) / 1000;
    console.warn(`systemd-real: READY ${readyAfterMs.toFixed(0)} ms after exec, ${waiting.length} samples in activating`);
    expect(readyAfterMs).toBeGreaterThan(50);
  });

  it('keeps STATUS= current in `systemctl status`', async () => {
    expect((await unit(c, 'StatusText')).StatusText).toBe('Front Door locked; MQTT off; clock NOT trusted');
    expect(await c.ok('systemctl status keypadd --no-pager')).toContain('Status: "Front Door locked; MQTT off; clock NOT trusted"');
    // Three wrong PINs lock the keypad out; the status line says so at its next update (every 10 s).
    await cli(c, 'sim', 'key', '1111#2222#3333#');
    const u = await until(c, ['StatusText'], (s) => s.StatusText!.includes('locked out'), 15_000);
    expect(u.StatusText).toBe('Front Door locked (keypad locked out); MQTT off; clock NOT trusted');
    await c.ok('sudo -u keypadd keypadd lockout reset --door 1');
  });

  it('runs its helper threads at niceness 10 and the main thread at 0 under the unit (setpriority allowed)', async () => {
    const pid = (await unit(c, 'MainPID')).MainPID!;
    const stats = (await c.ok(`cat /proc/${pid}/task/*/stat`)).trim().split('\n');
    const nice = new Map(stats.map((l) => [Number(l.split(' ')[0]), Number(l.slice(l.lastIndexOf(')') + 2).split(' ')[16])]));
    expect(nice.get(Number(pid))).toBe(0);
    const helpers = [...nice].filter(([tid]) => tid !== Number(pid)).map(([, n]) => n);
    expect(helpers.length).toBeGreaterThanOrEqual(5); // V8's platform threads, libuv's pool, the event writer
    expect(helpers).toEqual(helpers.map(() => 10));
  });

  it('restarts a daemon killed with SIGKILL while the door was unlocked, with the relay locked', async () => {
    const granted = await cli<DoorStatus>(c, 'sim', 'key', `${pin}#`);
    expect(granted.relay).toBe('unlocked');
    const before = await unit(c, 'MainPID', 'NRestarts');
    await c.ok(`kill -KILL ${before.MainPID}`);
    const after = await until(
      c,
      ['MainPID', 'NRestarts', 'ActiveState'],
      (u) => u.ActiveState === 'active' && u.MainPID !== before.MainPID && u.MainPID !== '0',
    );
    expect(after.ActiveState).toBe('active');
    expect(Number(after.NRestarts)).toBe(Number(before.NRestarts) + 1);
    expect((await door(c)).relay).toBe('locked');
    const log = await journal(c);
    expect(log).toContain('keypadd.service: Main process exited, code=killed, status=9/KILL');
    expect(log).toMatch(/keypadd.service: Scheduled restart job, restart counter is at \d+/);
  });

  it('is killed by the watchdog when its main thread hangs, and restarted with the relay locked', async () => {
    const before = await unit(c, 'MainPID', 'NRestarts');
    const hung = Date.now();
    // The daemon cannot answer while it hangs; the CLI is left to fail in the background.
    await c.ok('(sudo -u keypadd timeout 60 keypadd sim hang 30000 >/dev/null 2>&1 &)');
    const after = await until(
      c,
      ['MainPID', 'NRestarts', 'ActiveState'],
      (u) => u.ActiveState === 'active' && u.MainPID !== before.MainPID && u.MainPID !== '0',
      60_000,
    );
    const seconds = (Date.now() - hung) / 1000;
    console.warn(`systemd-real: watchdog restart ${seconds.toFixed(1)} s after the hang began (WatchdogSec=20, pings every 10 s)`);
    expect(after.ActiveState).toBe('active');
    expect(Number(after.NRestarts)).toBe(Number(before.NRestarts) + 1);
    // The last ping came at most 10 s before the hang: the watchdog fires 10-20 s in, the restart 2 s later.
    expect(seconds).toBeGreaterThan(10);
    expect(seconds).toBeLessThan(30); // sim hang lasts 30 s: a restart before that is the watchdog's
    const log = await journal(c);
    expect(log).toContain('keypadd.service: Watchdog timeout (limit 20s)!');
    expect(log).toContain(`keypadd.service: Killing process ${before.MainPID} (node) with signal SIGABRT.`);
    expect((await door(c)).relay).toBe('locked');
  }, 90_000);

  it('drives the relay locked after a crash systemd does not restart (ExecStopPost=keypadd lock-relays)', async () => {
    // Restart=no stands in for a crash loop systemd gave up on (start-limit-hit): nothing starts the daemon again.
    await c.ok(`printf '[Service]\\nRestart=no\\n' > /etc/systemd/system/keypadd.service.d/no-restart.conf && systemctl daemon-reload`);
    try {
      expect((await cli<DoorStatus>(c, 'sim', 'key', `${pin}#`)).relay).toBe('unlocked');
      const relayFile = '/var/lib/keypadd/sim-gpio/door1-relay';
      expect((await c.ok(`cat ${relayFile}`)).trim()).toBe('1'); // the line as the running daemon left it
      const { MainPID } = await unit(c, 'MainPID');
      await c.ok(`kill -KILL ${MainPID}`);
      const u = await until(c, ['ActiveState', 'NRestarts'], (x) => x.ActiveState === 'failed' || x.ActiveState === 'inactive');
      expect(u.ActiveState).toBe('failed');
      expect((await c.ok(`cat ${relayFile}`)).trim(), await journal(c, '-n', '20')).toBe('0');
      expect(await journal(c, '-n', '10')).toMatch(/door 1 \(Front Door\): relay locked \(simulated/);
    } finally {
      await c.ok(
        'rm /etc/systemd/system/keypadd.service.d/no-restart.conf && systemctl daemon-reload && systemctl reset-failed keypadd && systemctl start keypadd',
      );
    }
  });

  it('stops cleanly within TimeoutStopSec, relays locked, exit 0', async () => {
    expect((await cli<DoorStatus>(c, 'sim', 'key', `${pin}#`)).relay).toBe('unlocked');
    const t = Date.now();
    await c.ok('systemctl stop keypadd', { timeoutMs: 30_000 });
    const ms = Date.now() - t;
    console.warn(`systemd-real: systemctl stop took ${ms} ms (TimeoutStopSec=10)`);
    expect(ms).toBeLessThan(10_000);
    expect(await unit(c, 'ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus')).toEqual({
      ActiveState: 'inactive',
      Result: 'success',
      ExecMainCode: '1',
      ExecMainStatus: '0',
    });
    const log = await journal(c, '-n', '20');
    expect(log).toContain('SIGTERM: locking doors and stopping');
    expect(log).toContain('stopped; relays locked');
    expect(log).not.toMatch(/stop-sigterm.*timed out/);
  });
});
