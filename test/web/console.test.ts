/// <reference lib="dom" />
/**
 * The admin console in a real browser (Debian's headless Chromium, driven by playwright-core) against a child
 * `keypadd run --sim` with web.enabled: log in, issue a visitor PIN and see it once, type it on the simulated keypad
 * and see the grant in the live feed, reset a keypad lockout from the page, refuse a POST without the CSRF token and
 * a viewer's write, and keep working at 360 px. Each page is saved under docs/screenshots/ for the README.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { startConsole, type ConsoleUnderTest } from '../helpers/console.js';
import { ROOT } from '../helpers/cli.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
// The README's screenshots are refreshed with KEYPADD_SCREENSHOTS=1; otherwise they go to a scratch folder.
const SHOTS = process.env.KEYPADD_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'keypadd-shots-'));
if (!SHOTS.startsWith(ROOT)) cleanups.push(() => rmSync(SHOTS, { recursive: true, force: true }));
let d: SimDaemon;
let base: string;
let browser: Browser;
let loggedIn: ConsoleUnderTest['loggedIn'];

const haveChromium = requireTool('chromium-headless-shell', 'console browser');

beforeAll(async () => {
  if (!haveChromium) return;
  ({ d, base, browser, loggedIn } = await startConsole(
    [
      ['ada', 'admin'],
      ['vic', 'viewer'],
    ],
    cleanups,
  ));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  cleanups.splice(0).forEach((f) => f());
});

/** The events of the daemon, newest first, through the CLI. */
const events = () =>
  d.cli.json<{ events: { event_type: string; source: string | null; person_name: string | null }[] }>('event', 'list', '--limit', '1000').events;

describe.skipIf(!haveChromium)('the console in a browser', () => {
  it('refuses a wrong password, then logs in and shows the door', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    await page.goto(base);
    await expect(page.getByRole('heading', { name: 'Log in' }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(SHOTS, 'login.png') });
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong user name or password.');
    await page.getByLabel('Password').fill('ada password 123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/doors$/);
    await expect(page.getByRole('heading', { name: 'Front Door' }).isVisible()).resolves.toBe(true);
    const cookie = (await context.cookies()).find((c) => c.name === 'keypadd_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await context.close();
  });

  it('issues a visitor PIN shown once, and shows its grant in the live feed within a second of typing it', async () => {
    const { context, page } = await loggedIn('ada');
    await page.goto(base + 'visitors');
    await page.getByLabel('First name').fill('Vera');
    await page.getByLabel('Last name').fill('Visitor');
    await page.getByRole('button', { name: 'Create visitor and PIN' }).click();
    const pin = (await page.getByTestId('new-pin').textContent())!.trim();
    expect(pin).toMatch(/^\d{4,8}$/);
    await page.screenshot({ path: join(SHOTS, 'visitor-pin.png'), fullPage: true });
    // Never again: not on the visitors page, nor the person's page, nor in any URL.
    await page.goto(base + 'visitors');
    expect(await page.content()).toContain('Vera Visitor');
    expect(await page.content()).not.toContain(pin);
    await page.getByRole('link', { name: 'Vera Visitor' }).click();
    expect(await page.content()).not.toContain(pin);
    expect(page.url()).not.toContain(pin);

    await page.goto(base + 'doors');
    await eventually(
      () => page.locator('#feed-status').textContent(),
      (s) => s === 'Live',
    );
    // The clock starts once the door has decided (the sim CLI answers after the relay moved), not at the CLI's start.
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked' });
    const typed = performance.now();
    const grant = page.locator('#feed li', { hasText: 'Access granted' }).filter({ hasText: 'Vera Visitor' });
    await grant.first().waitFor({ timeout: 5000 });
    expect(performance.now() - typed).toBeLessThan(1000);
    await page.screenshot({ path: join(SHOTS, 'doors.png'), fullPage: true });
    await context.close();
  });

  it('resumes the live feed after a reconnect from the last event id, missing nothing', async () => {
    const { context, page } = await loggedIn('ada');
    const before = await page.locator('#feed li').count();
    // The stream, as the browser's EventSource sends it after a drop: Last-Event-ID names the last event it had.
    const newest = Number(await page.locator('#feed li').first().getAttribute('data-id'));
    d.key('0000#');
    await eventually(
      () => events(),
      (e) => e[0]!.event_type === 'access_denied',
    );
    const answer = await page.evaluate(
      async ({ url, last }) => {
        const controller = new AbortController();
        const res = await fetch(url, { headers: { 'Last-Event-ID': String(last) }, signal: controller.signal });
        const reader = res.body!.getReader();
        let text = '';
        while (!text.includes('access_denied')) text += new TextDecoder().decode((await reader.read()).value);
        controller.abort();
        return text;
      },
      { url: base + 'events-stream', last: newest },
    );
    expect(answer).toMatch(new RegExp(`id: ${newest + 1}\\n`));
    expect(answer).not.toMatch(new RegExp(`id: ${newest}\\n`));
    expect(before).toBeGreaterThan(0);
    await context.close();
  });

  it('shows a keypad lockout and resets it from the page', async () => {
    const { context, page } = await loggedIn('ada');
    for (let i = 0; i < 3; i++) d.key('9999#');
    await page.locator('#doors li', { hasText: 'keypad locked out' }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(SHOTS, 'doors-lockout.png') });
    await page.getByRole('button', { name: 'Reset lockout' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Keypad lockout reset.');
    expect(d.status().lockout).toMatchObject({ active: false });
    await eventually(
      () => events(),
      (e) => e.some((x) => x.event_type === 'lockout_reset' && x.source === 'console:ada'),
    );
    await page.locator('#doors li', { hasText: 'keypad open' }).waitFor({ timeout: 5000 });
    await context.close();
  });

  it('refuses a POST without the CSRF token, and a viewer’s write, doing nothing', async () => {
    const { context, page } = await loggedIn('ada');
    const unlocksBefore = events().filter((e) => e.event_type === 'remote_unlock').length;
    const forged = await page.request.post(base + 'doors-command', { form: { door: '1', op: 'admit' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('CSRF token');
    await context.close();

    const viewer = await loggedIn('vic');
    expect(await viewer.page.getByRole('button', { name: 'Admit' }).count()).toBe(0);
    const csrf = await viewer.page.locator('form.logout input[name="_csrf"]').getAttribute('value');
    const refused = await viewer.page.request.post(base + 'doors-command', { form: { _csrf: csrf!, door: '1', op: 'admit' }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain('a viewer may not do this');
    expect((await viewer.page.request.get(base + 'tokens')).status()).toBe(403);
    await viewer.context.close();
    expect(events().filter((e) => e.event_type === 'remote_unlock').length).toBe(unlocksBefore);
    expect(d.status()).toMatchObject({ relay: 'locked' });
  });

  it('ends a session at once when the user’s password changes (revocable sessions)', async () => {
    const { context, page } = await loggedIn('vic');
    expect(d.cli.runWithInput('vic password 123\n', 'user', 'passwd', 'vic', '--password', '-').status).toBe(0);
    await page.goto(base + 'people');
    await page.waitForURL(/\/login$/);
    await expect(page.getByRole('heading', { name: 'Log in' }).isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('creates a role from the week grid, edits it, refuses an empty week, and lets a viewer only look', async () => {
    const { context, page } = await loggedIn('ada');
    await page.goto(base + 'roles');
    await page.getByLabel('Name', { exact: true }).fill('Day staff');
    await page.getByLabel('Front Door').check();
    // An empty week is refused naming the field: it must not fall through to "no slots" = 24/7.
    await page.getByRole('button', { name: 'Create role' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('slot: tick at least one hour in the grid, or "Always (24/7)"');
    expect(d.cli.json<{ name: string }[]>('role', 'list').some((r) => r.name === 'Day staff')).toBe(false);
    await page.goto(base + 'roles');
    await page.getByLabel('Name', { exact: true }).fill('Day staff');
    await page.getByLabel('Front Door').check();
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri'])
      for (const h of ['09:00-10:00', '10:00-11:00']) await page.getByLabel(`${day} ${h}`).check();
    await page.getByRole('button', { name: 'Create role' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Role Day staff created.');
    let role = d.cli
      .json<{ id: number; name: string; schedule: string[]; channel_ids: number[]; all_channels: boolean }[]>('role', 'list')
      .find((r) => r.name === 'Day staff')!;
    expect(role).toMatchObject({ schedule: ['mon,tue,wed,thu,fri 09:00-11:00'], channel_ids: [1], all_channels: false });
    // Edit: the grid shows what is stored; Saturday morning added, a slot past midnight typed as text is kept.
    await expect(page.getByLabel('wed 10:00-11:00').isChecked()).resolves.toBe(true);
    await page.getByLabel('sat 08:00-09:00').check();
    await page.getByLabel(/Other slots/).fill('fri 22:00-02:00');
    await page.getByRole('button', { name: 'Save role' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Role Day staff saved');
    role = d.cli.json<(typeof role)[]>('role', 'list').find((r) => r.name === 'Day staff')!;
    expect(role.schedule).toEqual(['mon,tue,wed,thu,fri 09:00-11:00', 'sat 08:00-09:00', 'fri 22:00-02:00']);
    await expect(page.getByLabel(/Other slots/).inputValue()).resolves.toBe('fri 22:00-02:00');
    await expect(page.locator('section.card').first().textContent()).resolves.toContain('Doors: Front Door');
    await page.screenshot({ path: join(SHOTS, 'role.png'), fullPage: true });
    await page.goto(base + 'roles');
    await expect(page.locator('tr', { hasText: 'Day staff' }).textContent()).resolves.toContain('sat 08:00-09:00');
    await page.screenshot({ path: join(SHOTS, 'roles.png'), fullPage: true });
    await context.close();

    const viewer = await loggedIn('vic');
    await viewer.page.goto(base + `role?id=${role.id}`);
    expect(await viewer.page.getByRole('button', { name: 'Save role' }).count()).toBe(0);
    expect(await viewer.page.getByRole('button', { name: 'Delete role' }).count()).toBe(0);
    const csrf = await viewer.page.locator('form.logout input[name="_csrf"]').getAttribute('value');
    const refused = await viewer.page.request.post(base + 'role-delete', { form: { _csrf: csrf!, id: String(role.id) }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    await viewer.context.close();

    const admin = await loggedIn('ada');
    await admin.page.goto(base + `role?id=${role.id}`);
    await admin.page.getByRole('button', { name: 'Delete role' }).click();
    await expect(admin.page.getByRole('status').first().textContent()).resolves.toContain('Role Day staff deleted.');
    expect(d.cli.json<{ name: string }[]>('role', 'list').some((r) => r.name === 'Day staff')).toBe(false);
    await admin.context.close();
  });

  it('downloads a consistent backup as an admin, with the PIN key’s place but never the key, as an audit row', async () => {
    const { context, page } = await loggedIn('ada');
    await page.goto(base + 'backup');
    const key = readFileSync(join(d.cli.dataDir, 'pin.key'));
    const instructions = (await page.locator('#key-instructions').textContent())!;
    expect(instructions).toContain(join(d.cli.dataDir, 'pin.key'));
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('utf8').trim()]) expect(await page.content()).not.toContain(text);
    await page.screenshot({ path: join(SHOTS, 'backup.png'), fullPage: true });
    // The button's POST, as the browser sends it (session cookie and CSRF token); headless Chromium has no download UI.
    const csrf = await page.locator('form[action="backup-download"] input[name="_csrf"]').getAttribute('value');
    const answer = await page.request.post(base + 'backup-download', { form: { _csrf: csrf! }, maxRedirects: 0 });
    expect(answer.status(), await answer.text()).toBe(200);
    const disposition = answer.headers()['content-disposition']!;
    expect(disposition).toMatch(/^attachment; filename="keypadd-\d{4}-\d\d-\d\dT\d{6}\.db"$/);
    const scratch = mkdtempSync(join(tmpdir(), 'keypadd-download-'));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
    const file = join(scratch, 'backup.db');
    writeFileSync(file, await answer.body());
    const copy = new Database(file, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
      // The copy holds what the live database holds (the people so far: the demo person, and Vera when the visitor test ran).
      const names = (db: Database.Database) => db.prepare(`SELECT first_name || ' ' || last_name AS n FROM people ORDER BY id`).pluck().all();
      const live = new Database(join(d.cli.dataDir, 'keypadd.db'), { readonly: true, fileMustExist: true });
      try {
        expect(names(copy)).toEqual(names(live));
      } finally {
        live.close();
      }
      expect(names(copy).length).toBeGreaterThan(0);
    } finally {
      copy.close();
    }
    expect(readFileSync(file).includes(key)).toBe(false);
    await context.close();
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(`SELECT user_name, action FROM console_audit WHERE action = 'backup.download'`).get();
      expect(row).toEqual({ user_name: 'ada', action: 'backup.download' });
    } finally {
      db.close();
    }
    const viewer = await loggedIn('vic');
    expect((await viewer.page.request.get(base + 'backup')).status()).toBe(403);
    expect((await viewer.page.request.get(base + 'sync')).status()).toBe(403);
    await viewer.context.close();
  });

  it('shows the sync status to an admin (here: not configured)', async () => {
    const { context, page } = await loggedIn('ada');
    await page.goto(base + 'sync');
    await expect(page.locator('#sync-status').textContent()).resolves.toContain('Sync is not configured');
    await context.close();
  });

  it('works at 360 px: no page scrolls sideways, and every control has a label', async () => {
    const { context, page } = await loggedIn('ada', 360);
    for (const [path, shot] of [
      ['doors', 'phone-doors'],
      ['people', 'people'],
      ['visitors', 'visitors'],
      ['events', 'events'],
      ['roles', 'roles'],
      ['sync', 'sync'],
      ['tokens', 'tokens'],
      ['backup', 'backup'],
      ['settings', 'settings'],
      ['doctor', 'doctor'],
    ] as const) {
      await page.goto(base + path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
      const unlabelled = await page.evaluate(() =>
        Array.from(document.querySelectorAll('input:not([type=hidden]), select'))
          .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML),
      );
      expect(unlabelled, path).toEqual([]);
      await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: path !== 'events' });
    }
    await page.goto(base + 'people?q=Vera');
    await expect(page.getByRole('link', { name: 'Vera Visitor' }).isVisible()).resolves.toBe(true);
    await context.close();
  });
});
