/**
 * The sync worker's timing inside a running daemon: sync_stale once per episode, and the schedule of retries after
 * a failed pull. The stale check runs after every pull, so pulls asked for with `keypadd sync run` make it run as
 * often as the test needs, with no wait tied to the first pull.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_RETRY_MS, retryDelayMs } from '../../src/sync/retry-schedule.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';
import { FakeUpstream } from '../helpers/fake-upstream.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface EventJson {
  event_type: string;
  event_label: string;
}

async function upstream(): Promise<FakeUpstream> {
  const up = new FakeUpstream();
  await up.start();
  cleanups.push(() => up.stop());
  return up;
}

/** A daemon syncing from `url`, its token read from a file in its data dir (not written yet). */
async function syncingDoor(url: string, sync: string): Promise<{ d: SimDaemon; tokenFile: string }> {
  const d = simDoor('', cleanups as (() => void)[]);
  const tokenFile = join(d.cli.dataDir, 'upstream-token');
  writeFileSync(
    d.cli.configFile,
    `sync: { url: "${url}", token_file: ${tokenFile}, interval_s: 3600, doors: [{ door: 1, role_ids: [1] }], ${sync} }\n`,
  );
  await d.start();
  return { d, tokenFile };
}

const events = (d: SimDaemon) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '100000').events;

/**
 * Every event the daemon was given so far, once stored: a REX is recorded after them (a pull's events reach the
 * event writer before `sync run` answers, and the writer stores in order), so once it is stored, they are.
 */
async function storedEvents(d: SimDaemon): Promise<EventJson[]> {
  const rexes = events(d).filter((e) => e.event_type === 'rex').length;
  d.cli.json('sim', 'rex');
  return eventually(
    () => events(d),
    (e) => e.filter((x) => x.event_type === 'rex').length > rexes,
  );
}

describe('sync_stale', () => {
  it('is raised once per episode: once while no pull succeeds, and again only after a success and a new lapse', async () => {
    const up = await upstream();
    // 0.001 h = 3.6 s without a good pull makes the cache stale.
    const { d, tokenFile } = await syncingDoor(up.url, 'max_age_h: 0.001');
    const stale = async () => (await storedEvents(d)).filter((e) => e.event_type === 'sync_stale');
    // Not run(): the pull asks the fake upstream, which this process serves.
    const pull = async () => JSON.parse((await d.cli.runAsync('--json', 'sync', 'run')).stdout) as { ok: boolean; kind?: string };
    const failedPull = async () => expect(await pull()).toMatchObject({ ok: false });

    // No token file yet: every pull fails. Pull (and so check) until the never-filled cache is 3.6 s old...
    await eventually(
      async () => (await failedPull(), (await stale()).length),
      (n) => n >= 1,
      20_000,
    );
    // ...then keep failing: each pull checks again, and none raises the alarm again.
    for (let i = 0; i < 3; i++) await failedPull();
    expect(await stale()).toHaveLength(1);
    expect((await storedEvents(d)).find((e) => e.event_type === 'sync_failed')?.event_label).toMatch(
      /cannot read the upstream token .*upstream-token: ENOENT/,
    );
    expect(d.cli.json<{ stale_since: string | null }>('sync', 'status').stale_since).toMatch(/Z$/);

    // A good pull ends the episode.
    writeFileSync(tokenFile, up.token + '\n', { mode: 0o600 });
    expect(await pull()).toMatchObject({ ok: true });
    expect(d.cli.json<{ stale_since: string | null }>('sync', 'status').stale_since).toBe(null);

    // The upstream rejects the token from now on: a second episode, and one more alarm, however many pulls fail.
    up.token = 'rotated';
    await eventually(
      async () => (await failedPull(), (await stale()).length),
      (n) => n >= 2,
      20_000,
    );
    for (let i = 0; i < 3; i++) expect(await pull()).toMatchObject({ ok: false, kind: 'token_rejected' });
    expect(await stale()).toHaveLength(2);
  }, 60_000);
});

describe('retries after a failed pull', () => {
  it('back off from 15 s, doubling with each failure up to interval_s, with ±25% jitter', () => {
    const hour = 3_600_000;
    const mid = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => retryDelayMs(n, hour, null, mid))).toEqual(
      [15, 30, 60, 120, 240, 480, 960, 1920, 3600].map((s) => s * 1000),
    );
    expect(retryDelayMs(50, hour, null, mid)).toBe(hour);
    // With the default interval of 300 s, the fifth failure already waits the whole interval.
    expect([4, 5, 6].map((n) => retryDelayMs(n, 300_000, null, mid))).toEqual([120_000, 240_000, 300_000]);
    expect(retryDelayMs(1, hour, null, () => 0)).toBe(FIRST_RETRY_MS * 0.75);
    expect(retryDelayMs(1, hour, null, () => 0.999999)).toBeCloseTo(FIRST_RETRY_MS * 1.25, -1);
    // A 429 asking for longer is waited out in full.
    expect(retryDelayMs(1, hour, 600_000, mid)).toBe(600_000);
    expect(retryDelayMs(3, hour, 1000, mid)).toBe(60_000);
  });

  it('are what a running daemon does: its second pull comes 15 s ±25% after the first failed one', async () => {
    const up = await upstream();
    const pulls: number[] = [];
    // A rejected token fails a pull at its first request (roles), with no retry of the request itself.
    up.faults.push((r) => (r.path === '/api/3/roles' && pulls.push(Date.now()), false));
    const { d, tokenFile } = await syncingDoor(up.url, 'max_age_h: 24');
    writeFileSync(tokenFile, 'not-the-token\n', { mode: 0o600 });
    await eventually(
      () => pulls.length,
      (n) => n >= 2,
      25_000,
    );
    const gap = pulls[1]! - pulls[0]!;
    expect(gap).toBeGreaterThanOrEqual(FIRST_RETRY_MS * 0.75 - 100);
    expect(gap).toBeLessThanOrEqual(FIRST_RETRY_MS * 1.25 + 2000); // room for a loaded machine
    expect(d.cli.json('sync', 'status')).toMatchObject({ status: 'failing', consecutive_failures: 2, last_error_kind: 'token_rejected' });
  }, 40_000);
});
