/// <reference lib="dom" />
/**
 * The console's sync page in a real browser against a child `keypadd run --sim` syncing from a fake upstream (a real
 * HTTP server): the pull at start fails (no token yet) and the page says so; once the token is in place, "Pull now"
 * pulls at once (no waiting for sync.interval_s), the upstream's person arrives, the page shows the pull, and the
 * admin who asked is in the console's audit.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { startConsole, type ConsoleUnderTest } from '../helpers/console.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';
import { FakeUpstream } from '../helpers/fake-upstream.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let base: string;
let browser: Browser;
let loggedIn: ConsoleUnderTest['loggedIn'];
let up: FakeUpstream;
let tokenFile: string;

const haveChromium = requireTool('chromium-headless-shell', 'console browser');

beforeAll(async () => {
  if (!haveChromium) return;
  up = new FakeUpstream();
  await up.start();
  up.people.push({ id: 7, first_name: 'Una', last_name: 'Upstream', enabled: true, roles: [1], groups: [], updated_at: '2026-01-01T00:00:00Z' });
  up.roles.push({ id: 1, name: 'Staff', shift_id: null });
  ({ d, base, browser, loggedIn } = await startConsole([['ada', 'admin']], cleanups, (daemon) => {
    tokenFile = join(daemon.cli.dataDir, 'upstream-token');
    return `sync: { url: "${up.url}", token_file: ${tokenFile}, interval_s: 3600, doors: [{ door: 1, role_ids: [1] }] }\n`;
  }));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  cleanups.splice(0).forEach((f) => f());
  await up?.stop();
});

const people = () => d.cli.json<{ first_name: string; last_name: string }[]>('person', 'list');

describe.skipIf(!haveChromium)('the sync page', () => {
  it('shows a failed pull, then pulls at once on "Pull now", and audits who asked', async () => {
    const { context, page } = await loggedIn('ada');
    await eventually(
      () => d.cli.json<{ status: string }>('sync', 'status').status,
      (s) => s === 'failing',
      20_000,
    );
    await page.goto(base + 'sync');
    await expect(page.locator('#sync-status').textContent()).resolves.toContain('failing');
    expect(people().some((p) => p.last_name === 'Upstream')).toBe(false);

    writeFileSync(tokenFile, up.token + '\n', { mode: 0o600 });
    await page.getByRole('button', { name: 'Pull now' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Pull asked for');
    // The daemon's sync was asked by the console (a retry after the failed pull would come 15 s later, unasked).
    expect(d.stderr).toContain('sync asked by console:ada');
    await eventually(
      () => people(),
      (p) => p.some((x) => x.last_name === 'Upstream'),
      20_000,
    );
    await page.reload();
    await expect(page.locator('#sync-status').textContent()).resolves.toMatch(/Status: complete/);
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT user_name FROM console_audit WHERE action = 'sync.pull'").all()).toEqual([{ user_name: 'ada' }]);
    } finally {
      db.close();
    }
    await context.close();
  }, 90_000);
});
