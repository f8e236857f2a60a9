/// <reference lib="dom" />
/**
 * Site operations on the console's doors page, in a real browser against a child `keypadd run --sim`: an operator
 * locks the door down from the page and the demo PIN is then refused at the keypad with DoorFlow's lockdown code;
 * only an admin may end the lockdown (the operator gets no button, and a hand-made POST is refused with nothing done).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { startConsole, type ConsoleUnderTest } from '../helpers/console.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let base: string;
let browser: Browser;
let session: ConsoleUnderTest['loggedIn'];

const haveChromium = requireTool('chromium-headless-shell', 'console browser');

beforeAll(async () => {
  if (!haveChromium) return;
  ({
    d,
    base,
    browser,
    loggedIn: session,
  } = await startConsole(
    [
      ['ada', 'admin'],
      ['olly', 'operator'],
    ],
    cleanups,
  ));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  cleanups.splice(0).forEach((f) => f());
});

const loggedIn = async (name: string): Promise<Page> => (await session(name)).page;

const events = () =>
  d.cli.json<{ events: { event_type: string; event_code: number; source: string | null }[] }>('event', 'list', '--limit', '1000').events;

describe.skipIf(!haveChromium)('site operations on the console', () => {
  it('an operator locks the door down; the PIN is refused; only an admin ends it', async () => {
    const pin = d.demoPin();
    const olly = await loggedIn('olly');
    await olly.getByRole('button', { name: 'Lock down' }).click();
    await expect(olly.getByRole('status').first().textContent()).resolves.toContain('Door locked down');
    await olly.locator('#doors li', { hasText: 'locked down' }).waitFor({ timeout: 5000 });
    expect(await olly.getByRole('button', { name: 'End lockdown' }).count()).toBe(0);
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked' });
    await eventually(
      () => events(),
      (e) => e.some((x) => x.event_type === 'access_denied' && x.event_code === 22),
    );
    expect(events().find((x) => x.event_type === 'lockdown_started')).toMatchObject({ source: 'console:olly' });

    // The operator's hand-made POST to end it is refused, and the door stays locked down.
    const form = await olly.locator('form[action="doors-command"] input[name="_csrf"]').first().getAttribute('value');
    const forged = await olly.request.post(base + 'doors-command', { form: { _csrf: form!, door: '1', op: 'unlockdown' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(events().some((x) => x.event_type === 'lockdown_ended')).toBe(false);

    const ada = await loggedIn('ada');
    await ada.getByRole('button', { name: 'End lockdown' }).click();
    await expect(ada.getByRole('status').first().textContent()).resolves.toContain('Lockdown ended');
    await eventually(
      () => events(),
      (e) => e.some((x) => x.event_type === 'lockdown_ended'),
    );
    expect(d.key(`${pin}#`).outcomes?.at(-1)).toMatchObject({ granted: true });
  });
});
