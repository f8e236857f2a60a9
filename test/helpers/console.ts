/**
 * A console under test: a child `keypadd run --sim` with web.enabled on a free loopback port and the named console
 * users (password "<name> password 123"), Debian's headless Chromium, and a logged-in page for any of the users.
 * The browser tests (test/web) share it; each file gets its own daemon and browser.
 */
import { writeFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { freePort } from './broker.js';
import { eventually, simDoor, type SimDaemon } from './daemon.js';

export interface ConsoleUnderTest {
  d: SimDaemon;
  /** The console's address, ending in a slash (its URLs are relative). */
  base: string;
  browser: Browser;
  /** A new browser context logged in as `name`, on the doors page. */
  loggedIn(name: string, width?: number): Promise<{ context: BrowserContext; page: Page }>;
}

export const consolePassword = (name: string) => `${name} password 123`;

/** `more`: further configuration, given the daemon (for paths in its data dir). */
export async function startConsole(
  users: readonly (readonly [string, 'admin' | 'operator' | 'viewer'])[],
  cleanups: (() => void)[],
  more: (d: SimDaemon) => string = () => '',
): Promise<ConsoleUnderTest> {
  const port = await freePort();
  const d = simDoor('', cleanups);
  writeFileSync(d.cli.configFile, `web: { enabled: true, listen: 127.0.0.1:${port} }\nsite: { time_zone: Europe/London }\n${more(d)}`);
  for (const [name, role] of users)
    expect(d.cli.runWithInput(`${consolePassword(name)}\n`, 'user', 'add', name, '--role', role, '--password', '-').status).toBe(0);
  await d.start();
  await eventually(
    () => d.stderr,
    (s) => s.includes('console listening'),
    15_000,
  );
  const base = `http://127.0.0.1:${port}/`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium-headless-shell', args: ['--no-sandbox'] });
  const loggedIn = async (name: string, width = 1000) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    await page.goto(base);
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password').fill(consolePassword(name));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/doors$/);
    return { context, page };
  };
  return { d, base, browser, loggedIn };
}
