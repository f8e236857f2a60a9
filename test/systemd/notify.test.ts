/**
 * sd_notify against a fake NOTIFY_SOCKET (a Python receiver, since Node cannot bind a unix datagram socket):
 * READY after start, watchdog pings at half the interval, none while the event loop is blocked, STOPPING at the end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { ROOT } from '../helpers/cli.js';
import { eventually, simDoor } from '../helpers/daemon.js';

const HAVE = requireTool(['python3', 'systemd-notify'], 'systemd notify');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface Datagram {
  t: number;
  msg: string;
}

async function receiver(dir: string): Promise<{ path: string; got: Datagram[] }> {
  const path = join(dir, 'notify.sock');
  const proc = spawn('python3', [join(ROOT, 'test', 'fixtures', 'notify-receiver.py'), path]);
  cleanups.push(() => void proc.kill());
  const got: Datagram[] = [];
  let buf = '';
  let ready = false;
  proc.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const j = JSON.parse(l) as Datagram & { ready?: boolean };
      if (j.ready) ready = true;
      else got.push(j);
    }
  });
  await eventually(
    () => ready,
    (r) => r,
  );
  return { path, got };
}

describe.skipIf(!HAVE)('systemd notification', () => {
  it('sends READY with MAINPID and STATUS, watchdog pings, none while blocked, and STOPPING', async () => {
    const d = simDoor('', cleanups);
    const { path, got } = await receiver(d.cli.dataDir);
    d.cli.extraEnv = { NOTIFY_SOCKET: path, WATCHDOG_USEC: '400000' }; // WatchdogSec=0.4 s: a ping every 200 ms
    await d.start();
    const ready = await eventually(
      () => got.find((g) => g.msg.includes('READY=1')),
      (g) => g !== undefined,
    );
    expect(ready!.msg).toContain(`MAINPID=${d.proc!.pid}`);
    expect(ready!.msg).toMatch(/STATUS=Front Door locked; MQTT off; clock trusted/);
    const pings = () => got.filter((g) => g.msg.includes('WATCHDOG=1')).map((g) => g.t);
    await eventually(pings, (p) => p.length >= 4);
    const p = pings();
    // Regular pings (every 200 ms here); 2 s leaves room for a loaded machine to spawn systemd-notify late.
    for (let i = 1; i < p.length; i++) expect(p[i]! - p[i - 1]!).toBeLessThan(2000);

    // A hung main thread: no ping may be sent for as long as it hangs. The hang shows as a gap in the pings (every
    // 200 ms otherwise), measured on the receiver's clock; this side cannot tell when it began, as the CLI that asks
    // for it takes a while to start. A ping spawned just before the hang may still arrive early in it: 500 ms slack.
    const HANG_MS = 2000;
    const before = Date.now();
    d.cli.json('sim', 'hang', String(HANG_MS));
    const after = Date.now();
    const resumed = await eventually(
      () => pings().filter((t) => t >= after),
      (r) => r.length >= 2,
      10_000,
    );
    const around = pings().filter((t) => t >= before - 2000);
    const gaps = around.slice(1).map((t, i) => t - around[i]!);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(HANG_MS - 500);

    await d.stop('SIGTERM');
    await eventually(
      () => got.some((g) => g.msg.includes('STOPPING=1')),
      (s) => s,
    );
    expect(got.find((g) => g.msg.includes('STOPPING=1'))!.t).toBeGreaterThan(resumed.at(-1)!);
  }, 30_000);
});
