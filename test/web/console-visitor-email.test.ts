/**
 * The console's visitor form with email configured, in a real browser against a `keypadd run --sim` child and a real
 * STARTTLS smtp-server: "Email the PIN" is offered and ticked, the PIN is mailed and not shown, and it opens the door.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { startConsole, type ConsoleUnderTest } from '../helpers/console.js';
import type { SimDaemon } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';
import { SmtpReceiver } from '../helpers/smtp-receiver.js';

const cleanups: (() => void)[] = [];
const haveTools = requireTool(['chromium-headless-shell', 'openssl'], 'console visitor email');
let d: SimDaemon;
let browser: Browser;
let loggedIn: ConsoleUnderTest['loggedIn'];
let base: string;
let smtp: SmtpReceiver;

beforeAll(async () => {
  if (!haveTools) return;
  const dir = scratchDir('keypadd-smtp-');
  smtp = new SmtpReceiver(dir.dir);
  await smtp.start();
  cleanups.push(() => {
    void smtp.stop();
    dir.remove();
  });
  ({ d, base, browser, loggedIn } = await startConsole([['ada', 'admin']], cleanups, () => smtp.emailYaml()));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  cleanups.splice(0).forEach((f) => f());
});

describe.skipIf(!haveTools)('the console visitor form with email', () => {
  it('mails the PIN instead of showing it, and the mailed PIN opens the door', async () => {
    const { context, page } = await loggedIn('ada');
    await page.goto(base + 'visitors');
    await page.getByLabel('First name').fill('Mia');
    await page.getByLabel('Last name').fill('Mailed');
    await page.getByLabel('Email (optional)').fill('mia@example.com');
    await expect(page.getByLabel('Email the PIN to the visitor').isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Create visitor and PIN' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('PIN for Mia Mailed mailed to mia@example.com');
    expect(await page.getByTestId('new-pin').count()).toBe(0);
    expect(smtp.mails.map((m) => m.to)).toEqual([['mia@example.com']]);
    const pin = /Your door PIN: (\d+)/.exec(smtp.mails[0]!.text)![1]!;
    expect(await page.content()).not.toContain(pin);
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked' });
    expect(d.stdout + d.stderr).not.toContain(pin);
    await context.close();
  });
});
