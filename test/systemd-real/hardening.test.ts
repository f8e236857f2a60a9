/**
 * The unit's hardening against what the daemon really does: one service run traced with `strace -f` from its first
 * system call while it admits a PIN, locks out, serves the API, reconnects to MQTT and an upstream, pings the
 * watchdog and stops. Any call refused with EPERM, EACCES or EROFS fails the test unless HARMLESS says why it does not
 * matter (ProtectSystem= shows as EROFS, ProtectHome= and file modes as EACCES, the seccomp filter, DevicePolicy= and
 * missing capabilities as EPERM).
 *
 * strace runs outside the unit (as root in the container) and attaches before keypadd starts: inside, it would need
 * ptrace and setreuid, which the filter refuses, so the unit would no longer be the one shipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireNspawn, type Container } from '../helpers/nspawn.js';
import {
  BOOT_TIMEOUT_MS,
  bootWithCheckout,
  cli,
  copyCheckout,
  install,
  personWithPin,
  unit,
  until,
  useSimulatedDoor,
  type DoorStatus,
} from './installed.js';

const HAVE = requireNspawn('systemd-real');
let c: Container;

/** Refusals that are expected and change nothing the daemon does, each with the reason. */
const HARMLESS: { call: RegExp; why: string }[] = [
  {
    call: /^pkey_alloc\(/,
    why: 'V8 probes x86 memory protection keys (not in @system-service); without them it guards JIT code as on any CPU without pkeys, which includes every Pi',
  },
  {
    call: /^setsockopt\(\d+, SOL_SOCKET, SO_SNDBUFFORCE, /,
    why: 'systemd-notify asks for a send buffer above the limit, which needs CAP_NET_ADMIN, and falls back to SO_SNDBUF',
  },
  {
    call: /^sendmsg\(\d+, \{msg_name=\{sa_family=AF_UNIX, sun_path="\/run\/systemd\/notify"\}.*SCM_CREDENTIALS/,
    why: "systemd-notify --pid first sends credentials naming keypadd's pid, which needs CAP_SYS_ADMIN; it resends them as its own and NotifyAccess=all takes that (READY=1 arrives: the unit goes active)",
  },
];

const CONFIG = [
  'site: { name: Hardening, time_zone: Europe/London }',
  'data_dir: /var/lib/keypadd',
  'pin_key_file: /etc/keypadd/credentials/pin-key',
  'clock: { trust: always }',
  // Nothing listens on either port: the publisher and the sync worker connect, fail and retry, as offline.
  'mqtt: { url: "mqtt://127.0.0.1:1883" }',
  'sync: { url: "http://127.0.0.1:8999", doors: [{ door: 1, channel_ids: [1] }] }',
  'api: { enabled: true }',
  'doors: [{ id: 1, name: Front Door }]',
].join('\n');

// Holds keypadd back until a tracer is attached, so the trace starts at its first system call; then execs it.
const WAIT_FOR_TRACER = `[Service]
ExecStart=
ExecStart=/bin/sh -c 'while ! grep -q "^TracerPid:[[:space:]]*[1-9]" /proc/self/status; do sleep 0.05; done; exec /opt/keypadd/bin/keypadd run --sim'
`;

describe.skipIf(!HAVE)('the hardening of keypadd.service, traced', () => {
  beforeAll(async () => {
    c = await bootWithCheckout();
    await copyCheckout(c);
    await c.ok('mkdir -p /etc/keypadd/credentials && cat > /etc/keypadd/config.yaml', { input: CONFIG + '\n' });
    await c.ok('cat > /etc/keypadd/credentials/upstream-token', { input: 'not-a-real-token\n' });
    await useSimulatedDoor(c);
    const r = await install(c);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, BOOT_TIMEOUT_MS);
  afterAll(async () => c?.dispose(), 60_000);

  it('refuses nothing that matters while the daemon runs, works and stops', async () => {
    const { pin } = await personWithPin(c);
    const token = (await cli<{ token: string }>(c, 'token', 'add', '--scope', 'account.person.readonly')).token;
    await c.ok('cat > /etc/systemd/system/keypadd.service.d/trace.conf', { input: WAIT_FOR_TRACER });
    await c.ok('systemctl daemon-reload && systemctl stop keypadd && rm -rf /root/trace && mkdir /root/trace');
    await c.ok('systemctl start --no-block keypadd');
    const waiting = await until(c, ['MainPID'], (u) => u.MainPID !== '0', 10_000);
    // -ff: one file per process and thread, so no call is split across lines by another thread's.
    await c.ok(`(strace -f -ff -qq -s 256 -o /root/trace/t -p ${waiting.MainPID} >/dev/null 2>&1 &)`);
    expect((await until(c, ['ActiveState'], (u) => u.ActiveState === 'active', 60_000)).ActiveState).toBe('active');

    // What the daemon does in a day, through the CLI, the control socket and the API.
    expect((await cli<DoorStatus>(c, 'sim', 'key', `${pin}#`)).relay).toBe('unlocked');
    await cli(c, 'sim', 'key', '1111#2222#3333#');
    await c.ok(
      'sudo -u keypadd keypadd lockout reset --door 1 && sudo -u keypadd keypadd sim door open && sudo -u keypadd keypadd sim door close && sudo -u keypadd keypadd sim rex && sudo -u keypadd keypadd sim card 4242',
    );
    const api = `node -e 'fetch("http://127.0.0.1:8425/api/3/people", { headers: { authorization: "Bearer " + process.argv[1] } }).then((r) => console.log(r.status))'`;
    expect((await c.ok(`${api} ${token}; ${api} wrong`)).trim().split('\n')).toEqual(['200', '401']);
    await cli(c, 'status');
    await new Promise((r) => setTimeout(r, 11_000)); // a watchdog ping and a STATUS= update (every 10 s)
    await c.ok('systemctl stop keypadd');
    await c.ok('for i in $(seq 100); do pgrep -x strace >/dev/null || exit 0; sleep 0.1; done; exit 1');
    expect(await unit(c, 'Result', 'ExecMainStatus')).toEqual({ Result: 'success', ExecMainStatus: '0' });

    const calls = await c.ok('cat /root/trace/t.*');
    const refused = (await c.ok(`grep -hE '= -1 (EPERM|EACCES|EROFS) ' /root/trace/t.* || true`)).split('\n').filter(Boolean);
    const harmless = new Map(HARMLESS.map((h) => [h.why, 0]));
    const matter = refused.filter((line) => {
      const h = HARMLESS.find((x) => x.call.test(line));
      if (h) harmless.set(h.why, harmless.get(h.why)! + 1);
      return !h;
    });
    // The notification refused with keypadd's pid was resent, and arrived, from the same systemd-notify process.
    const resent = await c.ok(
      `for f in /root/trace/t.*; do if grep -q 'sun_path="/run/systemd/notify".*= -1 EPERM' $f; then grep -qE 'sun_path="/run/systemd/notify".* = [0-9]+$' $f && echo resent || echo "lost in $f"; fi; done`,
    );
    const outcomes = resent.split('\n').filter(Boolean);
    expect(outcomes).toEqual(outcomes.map(() => 'resent'));
    console.warn(
      `systemd-real: strace saw ${calls.split('\n').length} calls, ${refused.length} refused, all harmless: ${[...harmless].map(([why, n]) => `${n}x ${why.split(' ').slice(0, 3).join(' ')}...`).join('; ')}`,
    );
    expect(matter).toEqual([]);

    // The trace saw the daemon, not just the wrapper: its database, its threads lowered, READY, the API's socket.
    expect(calls).toMatch(/execve\("\/opt\/keypadd\/bin\/keypadd", \["\/opt\/keypadd\/bin\/keypadd", "run", "--sim"\]/);
    expect(calls).toMatch(/openat\(AT_FDCWD, "\/var\/lib\/keypadd\/keypadd\.db", O_RDWR/);
    expect(calls).toMatch(/setpriority\(PRIO_PROCESS, \d+, 10\) += 0/);
    expect(calls).toMatch(/READY=1/);
    expect(calls).toMatch(/WATCHDOG=1/);
    expect(calls).toMatch(/bind\(\d+, \{sa_family=AF_INET, sin_port=htons\(8425\)/);
    expect(calls).toMatch(/connect\(\d+, \{sa_family=AF_INET, sin_port=htons\(1883\).*= -1 EINPROGRESS/); // MQTT
    expect(calls).toMatch(/connect\(\d+, \{sa_family=AF_INET, sin_port=htons\(8999\).*= -1 EINPROGRESS/); // sync
  }, 180_000);
});
