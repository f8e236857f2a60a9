/// <reference lib="dom" />
/**
 * Enrolment by tap in a real browser against a child `keypadd run --sim`: on a person's page an operator asks for the
 * next card at the door, taps it on the simulated reader (`keypadd sim card`), sees it enrolled without reloading,
 * and the card then opens the door; another person is given a card from the unknown cards refused lately.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { startConsole, type ConsoleUnderTest } from '../helpers/console.js';
import { ROOT } from '../helpers/cli.js';
import { eventually, type DoorStatusJson, type SimDaemon } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let base: string;
let browser: Browser;
let loggedIn: ConsoleUnderTest['loggedIn'];

const haveChromium = requireTool('chromium-headless-shell', 'console browser');

beforeAll(async () => {
  if (!haveChromium) return;
  ({ d, base, browser, loggedIn } = await startConsole([['otto', 'operator']], cleanups));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  cleanups.splice(0).forEach((f) => f());
});

const credentials = (person: number) => d.cli.json<{ value: string; credential_type_id: number }[]>('credential', 'list', '--person', String(person));

describe.skipIf(!haveChromium)('enrolment by tap in the console', () => {
  it('enrols the next unknown card at the door, refused while it waits, then opening the door', async () => {
    const id = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Tess', '--last-name', 'Tapper').id;
    const { context, page } = await loggedIn('otto');
    await page.goto(`${base}person?id=${id}`);
    await page.getByLabel('Door whose reader the card is tapped on').selectOption({ label: 'Front Door' });
    await page.getByRole('button', { name: 'Wait for a card' }).click();
    await expect(page.locator('#enrolment').textContent()).resolves.toContain('Waiting for a card');
    if (process.env.KEYPADD_SCREENSHOTS === '1') await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'enrol.png'), fullPage: true });

    expect(d.cli.json<DoorStatusJson>('sim', 'card', '7340055').relay).toBe('locked');
    // The panel asks every second: the enrolment shows without a reload.
    await page.getByText('Card 7340055 enrolled at Front Door.').waitFor({ timeout: 10_000 });
    expect(credentials(id)).toMatchObject([{ value: '7340055', credential_type_id: 5 }]);
    expect(d.cli.json<DoorStatusJson>('sim', 'card', '7340055').relay).toBe('unlocked');
    await eventually(
      () =>
        d.cli.json<{ events: { event_type: string; source: string | null; person_id: number | null }[] }>('event', 'list', '--limit', '20').events,
      (events) => events.some((e) => e.event_type === 'card_enrolled' && e.source === 'console:otto' && e.person_id === id),
    );
    await page.getByRole('link', { name: "Show the person's credentials" }).click();
    await expect(page.getByRole('button', { name: 'Wait for a card' }).count()).resolves.toBe(0);
    await context.close();
  }, 60_000);

  it('gives a person a card from the unknown cards refused lately', async () => {
    d.cli.json('sim', 'card', '8123456');
    const id = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Lee', '--last-name', 'Later').id;
    const { context, page } = await loggedIn('otto');
    await page.goto(`${base}person?id=${id}`);
    await page.getByRole('button', { name: 'Give card 8123456 to this person' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Card added.');
    expect(credentials(id)).toMatchObject([{ value: '8123456' }]);
    await context.close();
  }, 60_000);
});
