/**
 * The console's visitor form with email configured, in a real browser against a `keypadd run --sim` child and a real
 * STARTTLS smtp-server: "Email the PIN" is offered and ticked, the PIN is mailed and not shown, and it opens the door;
 * "Email a new PIN" on the Today view mails a new PIN that opens the door, and the old one stops working.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { startConsole, type ConsoleUnderTest } from '../helpers/console.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';
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

  it('mails a new PIN from the Today view; the old PIN no longer opens the door', async () => {
    const { context, page } = await loggedIn('ada');
    await page.goto(base + 'visitors');
    await page.getByLabel('First name').fill('Rex');
    await page.getByLabel('Last name').fill('Resent');
    await page.getByLabel('Email (optional)').fill('rex@example.com');
    await page.getByRole('button', { name: 'Create visitor and PIN' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('PIN for Rex Resent mailed');
    const first = smtp.mails.length;
    const oldPin = /Your door PIN: (\d+)/.exec(smtp.mails.at(-1)!.text)![1]!;

    await page.goto(base + 'visitors');
    await page.getByRole('button', { name: 'Email Rex Resent a new PIN' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('PIN for Rex Resent mailed to rex@example.com');
    expect(smtp.mails).toHaveLength(first + 1);
    expect(smtp.mails.at(-1)!.to).toEqual(['rex@example.com']);
    const newPin = /Your door PIN: (\d+)/.exec(smtp.mails.at(-1)!.text)![1]!;
    expect(newPin).not.toBe(oldPin);
    expect(await page.content()).not.toContain(newPin);

    // A grant while the relay is still unlocked only extends it: wait for it to lock before each try.
    await eventually(
      () => d.status(),
      (s) => s.relay === 'locked',
      15_000,
    );
    expect(d.key(`${oldPin}#`)).toMatchObject({ relay: 'locked' });
    expect(d.key(`${newPin}#`)).toMatchObject({ relay: 'unlocked' });
    expect(d.stdout + d.stderr).not.toContain(newPin);
    await context.close();
  });
});
