/**
 * A disk that fills, for real (a tmpfs of a few MB as the data dir), under a running `keypadd run --sim`: the reserve
 * is freed and said, then the spool keeps the events; a clean stop on a full disk still starts again and decides;
 * a SIGKILL while the spool holds events loses none; and once space comes back everything is stored, in order.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cli } from '../helpers/cli.js';
import { eventually, SimDaemon } from '../helpers/daemon.js';
import { canMount, checkDatabase, Mounts } from '../helpers/faults.js';
import { scratchDir } from '../helpers/scratch.js';

let HAVE = false;
beforeAll(() => {
  HAVE = canMount('storage faults');
});
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A simulated door whose data dir is a tmpfs of `kb` KiB, its spool on the real disk (the unit's /run). */
async function doorOnTmpfs(kb: number): Promise<{ d: SimDaemon; mounts: Mounts; dir: string; runtime: string }> {
  const mounts = new Mounts();
  cleanups.push(() => mounts.dispose());
  const dir = mounts.tmpfs(kb);
  const runtime = scratchDir('keypadd-run-');
  cleanups.push(runtime.remove);
  const d = new SimDaemon(new Cli(dir, `storage: { runtime_dir: ${runtime.dir}, reserve_mb: 0.5 }\n`));
  cleanups.push(async () => void (await d.stop('SIGKILL')));
  return { d, mounts, dir, runtime: runtime.dir };
}

const wrong = (n: number, from: number) => Array.from({ length: n }, (_, i) => `${String(1_000_000 + from + i)}#`).join('');
/** The simulated relay's line, as the process left it: "0" is de-energised, locked for a fail-secure door. */
const relayLocked = (dir: string) => expect(readFileSync(join(dir, 'sim-gpio', 'door1-relay'), 'utf8').trim()).toBe('0');

describe('a full disk', () => {
  it('frees the reserve with an alarm, then spools; a clean stop on the full disk still starts and decides; space back: all stored, in order', async () => {
    if (!HAVE) return;
    const { d, mounts, dir, runtime } = await doorOnTmpfs(4096);
    await d.start();
    const pin = d.demoPin();
    const filler = mounts.fill(dir);
    // The first events that do not fit: the reserve makes room, and says so.
    d.key(wrong(20, 0));
    const st = d.cli.json<{ storage: { healthy: boolean } }>('status');
    expect(st.storage.healthy).toBe(true);
    const filler2 = mounts.fill(dir, 'filler2');
    // Now nothing fits: the spool takes the events, and the door still decides (and grants).
    expect(d.key(`${wrong(20, 100)}`).lockout.active).toBe(true);
    d.cli.run('lockout', 'reset', '--door', '1');
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    const failing = await eventually(
      () => d.cli.json<{ storage: { healthy: boolean; problem: string; spooled: number; since: string } }>('status').storage,
      (s) => s.spooled > 0,
    );
    expect(failing).toMatchObject({
      healthy: false,
      problem: expect.stringMatching(/the disk is full: events go to the spool/),
      since: expect.any(String),
    });
    // A clean stop on the full disk, and a start on it: the door decides.
    expect(await d.stop('SIGTERM')).toBe(0);
    await d.start();
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked', outcomes: [{ granted: true }] });
    // Space comes back: the spool is stored, in order.
    rmSync(filler);
    rmSync(filler2);
    await eventually(
      () => d.cli.json<{ storage: { healthy: boolean; spooled: number; mode: string } }>('status').storage,
      (s) => s.healthy && s.mode === 'normal',
      20_000,
    );
    await d.stop('SIGTERM');
    const events = checkDatabase(dir);
    expect(events.filter((e) => e.event_type === 'access_denied')).toHaveLength(40);
    expect(events.filter((e) => e.event_type === 'access_granted')).toHaveLength(2);
    expect(events.map((e) => e.event_type)).toEqual(expect.arrayContaining(['disk_full', 'events_spooled']));
    // In the order they happened: uids (made at the door) sort as the ids do.
    expect(events.map((e) => e.uid)).toEqual([...events.map((e) => e.uid)].sort());
    expect(readdirSync(join(runtime, 'spool')).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    relayLocked(dir);
  }, 90_000);

  it("starts on a disk filled while it was stopped (no room for SQLite's -shm): the reserve first, then a copy in memory", async () => {
    if (!HAVE) return;
    const { d, mounts, dir } = await doorOnTmpfs(4096);
    await d.start();
    const pin = d.demoPin();
    expect(await d.stop('SIGTERM'), d.stderr).toBe(0);
    const fillers = [mounts.fill(dir)];
    // The first start on the full disk frees the reserve to open the database, and says so.
    await d.start();
    expect(d.stderr).toMatch(/the disk is full: freed the 512 KiB reserve to open the database/);
    expect(d.key(`${pin}#`).relay).toBe('unlocked');
    expect(await d.stop('SIGTERM')).toBe(0);
    fillers.push(mounts.fill(dir, 'filler2'));
    // Now there is no reserve either: SQLite cannot make its -shm file, and the door decides from a copy in memory.
    await d.start();
    expect(d.stderr).toMatch(/deciding from a copy of the database in memory/);
    expect(d.cli.json<{ storage: { mode: string; healthy: boolean; problem: string } }>('status').storage).toMatchObject({
      mode: 'snapshot',
      healthy: false,
      problem: expect.stringMatching(/the disk is full/),
    });
    expect(d.key(`${pin}#${wrong(1, 0)}`)).toMatchObject({
      relay: 'unlocked',
      outcomes: [{ granted: true }, { granted: false, reason: 'unknown_credential' }],
    });
    // Space comes back: the real file opens again, and what the spool kept is stored.
    for (const f of fillers) rmSync(f);
    await eventually(
      () => d.cli.json<{ storage: { mode: string; healthy: boolean } }>('status').storage,
      (s) => s.mode === 'normal' && s.healthy,
      20_000,
    );
    await d.stop('SIGTERM');
    const events = checkDatabase(dir);
    expect(events.filter((e) => e.event_type === 'access_granted')).toHaveLength(2);
    expect(events.filter((e) => e.event_type === 'access_denied')).toHaveLength(1);
    expect(events.filter((e) => e.event_type === 'disk_full').length).toBeGreaterThanOrEqual(1);
    relayLocked(dir);
  }, 90_000);

  it('a SIGKILL while events wait in the spool loses none of them: replayed at start, with their own uids and times', async () => {
    if (!HAVE) return;
    const { d, mounts, dir } = await doorOnTmpfs(4096);
    await d.start();
    d.key(wrong(2, 0));
    const before = checkDatabase(dir).length;
    const filler = [mounts.fill(dir), mounts.fill(dir, 'f2')];
    // Hold the reserve's room too, so that these really go to the spool.
    d.key(wrong(1, 10));
    filler.push(mounts.fill(dir, 'f3'));
    d.key(wrong(20, 20));
    await eventually(
      () => d.cli.json<{ storage: { spooled: number } }>('status').storage.spooled,
      (n) => n >= 20,
    );
    expect(await d.stop('SIGKILL')).toBe(null);
    for (const f of filler) rmSync(f);
    await d.start();
    await eventually(
      () => checkDatabase(dir).filter((e) => e.event_type === 'access_denied').length,
      (n) => n === 23,
    );
    await d.stop('SIGTERM');
    const events = checkDatabase(dir);
    expect(events.length).toBeGreaterThan(before);
    expect(new Set(events.map((e) => e.uid)).size).toBe(events.length);
    relayLocked(dir);
  }, 90_000);
});
