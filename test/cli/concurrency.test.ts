/**
 * Several processes writing one database at once: the CLI, the daemon and a sync can all be running.
 * Uniqueness must hold across processes, and a SIGKILL mid-write must leave a database that opens clean.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PIN_TYPE_ID, CredentialRepo } from '../../src/storage/credential-repo.js';
import { openStore } from '../../src/storage/store.js';
import { Cli, ROOT, cleanEnv } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface Line {
  id: string;
  pin: string;
  person: number;
}

function setup(): { dir: string; config: string } {
  const d = scratchDir('keypadd-conc-');
  cleanups.push(d.remove);
  const config = join(d.dir, 'config.yaml');
  writeFileSync(config, '');
  return { dir: d.dir, config };
}

function runFixture(
  script: string,
  args: string[],
): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: Line[]; stderr: string }>; kill: () => void; lines: Line[] } {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'fixtures', script), ...args], { env: cleanEnv() });
  const lines: Line[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as Line);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: Line[]; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, lines, stderr })),
  );
  return { done, kill: () => child.kill('SIGKILL'), lines };
}

/** Every reported PIN is in the database, under the reported credential, for the reported person. */
function expectStored(dir: string, lines: Line[]): void {
  const store = openStore(dir, {});
  try {
    const repo = new CredentialRepo(store.db);
    for (const l of lines) expect(repo.byDigest(PIN_TYPE_ID, store.digest(l.pin))).toMatchObject({ id: l.id, person_id: l.person });
  } finally {
    store.close();
  }
}

describe('concurrent creators', () => {
  it('two processes generating 4-digit PINs at once, starting on an empty data dir, never produce a duplicate', async () => {
    const { dir, config } = setup();
    // 2 x 1200 PINs in a 4-digit space of ~9,900 acceptable values: draws hit taken values often.
    const a = runFixture('create-pins.mjs', [dir, config, '1200', '4', 'a']);
    const b = runFixture('create-pins.mjs', [dir, config, '1200', '4', 'b']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.stderr + rb.stderr).toBe('');
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const all = [...ra.lines, ...rb.lines];
    expect(all).toHaveLength(2400);
    expect(new Set(all.map((l) => l.pin)).size).toBe(2400);
    expect(new Set(all.map((l) => l.id)).size).toBe(2400);
    expectStored(dir, all);
  }, 120_000);

  it('several processes opening one fresh database at the same instant all succeed', async () => {
    for (let round = 0; round < 5; round++) {
      const { dir } = setup();
      const k = new Cli(dir);
      const codes = await Promise.all(
        [1, 2, 3, 4].map(
          () =>
            new Promise<{ code: number | null; err: string }>((resolve) => {
              const c = k.spawn('person', 'list');
              let err = '';
              c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
              c.on('close', (code) => resolve({ code, err }));
            }),
        ),
      );
      expect(codes).toEqual(Array(4).fill({ code: 0, err: '' }));
    }
  }, 60_000);

  it('two CLI processes racing for the same custom PIN: exactly one gets it', async () => {
    const { dir } = setup();
    const k = new Cli(dir);
    for (const n of ['A', 'B']) k.json('person', 'add', '--first-name', n, '--last-name', 'X');
    for (const pin of ['5839', '60417', '730582']) {
      const runs = [1, 2].map(
        (person) =>
          new Promise<number | null>((resolve) => {
            const c = k.spawn('pin', 'add', '--person', String(person), '--value', pin);
            c.on('close', resolve);
          }),
      );
      const codes = (await Promise.all(runs)).sort();
      expect(codes).toEqual([0, 2]);
      for (const l of k.json<{ id: string }[]>('credential', 'list')) k.json('credential', 'delete', l.id);
    }
  }, 60_000);
});

describe('crash safety', () => {
  it('a database killed with SIGKILL during a loop of creates opens clean and keeps every committed PIN', async () => {
    const { dir, config } = setup();
    let reported: Line[] = [];
    for (let round = 0; round < 3; round++) {
      const run = runFixture('create-forever.mjs', [dir, config, `r${round}`]);
      // Kill it mid-stream, at a point that varies from round to round.
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (run.lines.length >= 40 + round * 17) {
            clearInterval(timer);
            resolve();
          }
        }, 2);
      });
      run.kill();
      const result = await run.done;
      expect(result.signal).toBe('SIGKILL');
      reported = [...reported, ...result.lines];

      const raw = new Database(join(dir, 'keypadd.db'));
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      expectStored(dir, reported);
    }
    // And the CLI still works on it.
    const k = new Cli(dir);
    expect(k.json<unknown[]>('credential', 'list').length).toBeGreaterThanOrEqual(reported.length);
  }, 60_000);
});
