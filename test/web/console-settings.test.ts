/// <reference lib="dom" />
/**
 * The settings and doctor pages in a real browser against a child `keypadd run --sim`: settings show each value with
 * where it came from (the config file, a KEYPADD_* variable, --data-dir, the default); doctor shows the checks of
 * `keypadd doctor` with their fixes; both are for admins only. Pages go gzipped over the wire; expired sessions are
 * swept at the next login.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireTool } from '../helpers/broker.js';
import { startConsole, type ConsoleUnderTest } from '../helpers/console.js';
import type { SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let base: string;
let browser: Browser;
let loggedIn: ConsoleUnderTest['loggedIn'];

const haveChromium = requireTool('chromium-headless-shell', 'console browser');

beforeAll(async () => {
  if (!haveChromium) return;
  // A broker nobody listens on: the doctor's MQTT check fails, with its fix (the daemon keeps deciding meanwhile).
  const closedPort = await freePort();
  ({ d, base, browser, loggedIn } = await startConsole(
    [
      ['ada', 'admin'],
      ['otto', 'operator'],
    ],
    cleanups,
    (daemon) => {
      daemon.cli.extraEnv.KEYPADD_LOCKOUT__CARDS__ALARM_AFTER = '7';
      return `mqtt: { url: "mqtt://127.0.0.1:${closedPort}" }\n`;
    },
  ));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  cleanups.splice(0).forEach((f) => f());
});

/** The settings table as [setting, value, from] rows. */
const settingsRows = (page: import('playwright-core').Page) =>
  page.$$eval('#settings tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent!.trim())));

describe.skipIf(!haveChromium)('settings and doctor', () => {
  it('shows every setting with its value and where it came from', async () => {
    const { context, page } = await loggedIn('ada');
    await page.getByRole('link', { name: 'Settings' }).click();
    const rows = new Map((await settingsRows(page)).map(([setting, value, from]) => [setting, { value, from }]));
    expect(rows.get('web.enabled')).toEqual({ value: 'true', from: `file ${d.cli.configFile}` });
    expect(rows.get('site.time_zone')).toEqual({ value: 'Europe/London', from: `file ${d.cli.configFile}` });
    expect(rows.get('lockout.cards.alarm_after')).toEqual({ value: '7', from: 'environment KEYPADD_LOCKOUT__CARDS__ALARM_AFTER' });
    expect(rows.get('data_dir')).toEqual({ value: d.cli.dataDir, from: '--data-dir' });
    expect(rows.get('doors[0].unlock_ms')).toEqual({ value: '5000', from: 'default' });
    await context.close();
  });

  it('runs the doctor checks and shows each with its verdict and fix', async () => {
    const { context, page } = await loggedIn('ada');
    await page.goto(base + 'doctor');
    const checks = await page.locator('#checks li').allTextContents();
    expect(checks.find((t) => t.includes('console'))).toMatch(/PASS\s+console: on 127\.0\.0\.1:\d+, this machine only/);
    expect(checks.find((t) => t.includes('database:'))).toContain('passes its integrity check');
    // The broker is down: a failure with its fix, as `keypadd doctor` prints it, and the page says so first.
    expect(checks.find((t) => t.includes('MQTT'))).toMatch(/FAIL\s+MQTT: .*Fix: /s);
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('1 check(s) failed');
    await context.close();
  });

  it('sends pages and static files gzipped to a browser that asks, and the live feed as a plain stream', async () => {
    const { context, page } = await loggedIn('ada');
    const wire = async (path: string) => {
      const r = await page.request.get(base + path, { headers: { 'Accept-Encoding': 'gzip' } });
      return { encoding: r.headers()['content-encoding'], type: r.headers()['content-type'], text: await r.text() };
    };
    const settings = await wire('settings');
    expect(settings.encoding).toBe('gzip');
    expect(settings.text).toContain('<h1>Settings</h1>');
    expect((await wire('static/htmx.min.js')).encoding).toBe('gzip');
    // A stream compressed would sit in the compressor's buffer: the feed goes as it is written.
    const feed = await page.evaluate(async (url) => {
      const controller = new AbortController();
      const r = await fetch(url, { signal: controller.signal });
      const first = await r.body!.getReader().read();
      controller.abort();
      return { encoding: r.headers.get('content-encoding'), first: new TextDecoder().decode(first.value) };
    }, base + 'events-stream?after=0');
    expect(feed).toEqual({ encoding: null, first: expect.stringContaining('retry: 2000') });
    await context.close();
  });

  it('sweeps expired sessions at the next login', async () => {
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'));
    try {
      const user = db.prepare(`SELECT id FROM console_users WHERE name = 'ada'`).get() as { id: number };
      db.prepare(`INSERT INTO console_sessions (id_hash, user_id, csrf, created_at, expires_at, address) VALUES (?, ?, ?, ?, ?, ?)`).run(
        'left-by-a-closed-browser',
        user.id,
        'csrf',
        '2026-01-01T00:00:00Z',
        '2026-01-01T12:00:00Z',
        '127.0.0.1',
      );
      const { context } = await loggedIn('ada');
      expect(db.prepare(`SELECT count(*) AS n FROM console_sessions WHERE id_hash = 'left-by-a-closed-browser'`).get()).toEqual({ n: 0 });
      expect((db.prepare(`SELECT count(*) AS n FROM console_sessions`).get() as { n: number }).n).toBeGreaterThan(0);
      await context.close();
    } finally {
      db.close();
    }
  });

  it('refuses both pages to an operator', async () => {
    const { context, page } = await loggedIn('otto');
    for (const path of ['settings', 'doctor']) {
      const r = await page.goto(base + path);
      expect(r?.status(), path).toBe(403);
    }
    await context.close();
  });
});
