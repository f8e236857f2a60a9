/**
 * An SD card that goes read-only for real (a loop-mounted ext4 with errors=remount-ro, failed through the kernel's
 * trigger_fs_error), under a running daemon and at start: it keeps deciding, keeps lockouts and events in the spool,
 * says plainly why in the log, `status`, `doctor` and the MQTT status, and stores everything once the card is fixed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Broker, requireTool } from '../helpers/broker.js';
import { Cli } from '../helpers/cli.js';
import { Consumer } from '../helpers/consumer.js';
import { eventually, SimDaemon } from '../helpers/daemon.js';
import { canMount, checkDatabase, Mounts } from '../helpers/faults.js';
import { scratchDir } from '../helpers/scratch.js';

let HAVE = false;
const MQTT = requireTool('mosquitto', 'MQTT');
beforeAll(() => {
  HAVE = canMount('storage faults');
});
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const wrong = (n: number, from: number) => Array.from({ length: n }, (_, i) => `${String(1_000_000 + from + i)}#`).join('');
const READ_ONLY = /the data dir is on a read-only file system/;

describe('a card that goes read-only', () => {
  it('keeps deciding while it runs and after a restart, says why everywhere, and stores everything once fixed', async () => {
    if (!HAVE || !MQTT) return;
    const mounts = new Mounts();
    cleanups.push(() => mounts.dispose());
    const card = mounts.ext4(24);
    const runtime = scratchDir('keypadd-run-');
    cleanups.push(runtime.remove);
    const broker = new Broker();
    await broker.start();
    cleanups.push(() => broker.dispose());
    const d = new SimDaemon(new Cli(card.dir, `storage: { runtime_dir: ${runtime.dir} }\nmqtt: { url: "${broker.url}", node_id: ro1 }\n`));
    cleanups.push(async () => void (await d.stop('SIGKILL')));
    const status = new Consumer(broker.url, ['keypadd/ro1/status'], { clientId: 'ro-status' });
    await status.start();
    cleanups.push(() => status.stop());
    await d.start();
    const pin = d.demoPin();
    d.key(wrong(2, 0));
    card.fail();
    // While running: the door decides; a wrong PIN still counts (the lockout is kept in the spool).
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    expect(d.key(wrong(1, 10)).lockout.active).toBe(true);
    const live = await eventually(
      () => d.cli.json<{ storage: { healthy: boolean; problem: string } }>('status').storage,
      (s) => !s.healthy,
    );
    expect(live.problem).toMatch(READ_ONLY);
    await eventually(
      () => d.stderr,
      (x) => READ_ONLY.test(x),
    );
    await eventually(
      () => status.messages.map((m) => JSON.parse(m.payload) as { storage_problem?: string | null }),
      (ms) => ms.some((m) => READ_ONLY.test(m.storage_problem ?? '')),
    );
    expect(await d.stop('SIGTERM')).toBe(0);
    // A start on the read-only card: read-only decision mode, the control socket in the runtime dir.
    await d.start();
    expect(d.stderr).toMatch(/the data dir is on a read-only file system: deciding read-only/);
    const st = d.cli.json<{ storage: { read_only: boolean; problem: string }; doors: { lockout: { active: boolean } }[] }>('status');
    expect(st.storage).toMatchObject({ read_only: true, problem: expect.stringMatching(READ_ONLY) });
    expect(st.doors[0]!.lockout.active).toBe(true); // resumed from the spool, not the stale database
    d.cli.run('lockout', 'reset', '--door', '1');
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    const doctor = d.cli.run('doctor');
    expect(doctor.stdout).toMatch(/FAIL\s+database.*read-only file system/);
    expect(readFileSync(join(runtime.dir, 'spool', 'worker.jsonl'), 'utf8')).toMatch(/access_granted/);
    expect(await d.stop('SIGTERM')).toBe(0);
    // The admin fixes the card (fsck, remount): the next start stores what the spool kept, in order.
    card.remount();
    await d.start();
    await eventually(
      () => d.cli.json<{ storage: { healthy: boolean; spooled: number } }>('status').storage,
      (s) => s.healthy,
    );
    await d.stop('SIGTERM');
    const events = checkDatabase(card.dir);
    expect(
      events.filter((e) => e.event_type === 'access_granted'),
      `${d.stderr}\n${JSON.stringify(events)}`,
    ).toHaveLength(2);
    expect(events.filter((e) => e.reason === 'unknown_credential')).toHaveLength(3);
    expect(events.map((e) => e.event_type)).toEqual(expect.arrayContaining(['keypad_locked_out', 'lockout_reset', 'events_spooled']));
    expect(events.map((e) => e.uid)).toEqual([...events.map((e) => e.uid)].sort());
    expect(readFileSync(join(card.dir, 'sim-gpio', 'door1-relay'), 'utf8').trim()).toBe('0');
  }, 120_000);
});
