/**
 * The widget when the server limits it (429 RATE_LIMITED): in a real browser on the French demo page, the visitor
 * is told in the conversation, in the page's language, and keeps the text to send again.
 */
import type { Browser } from 'playwright-core';
import { STRINGS } from '../../src/channels/widget/client/strings';
import { startAll } from '../support/app';
import { launchBrowser } from '../support/browser';
import { openWatchedPage, startWidgetServer, widget, type WatchedPage, type WidgetServer } from './support';

let server: WidgetServer;
let browser: Browser;
let run: WatchedPage | undefined;

beforeAll(async () => {
  await startAll(
    async () => {
      server = await startWidgetServer({ RATE_LIMITS: 'on', RATE_LIMIT_MESSAGES_PER_MINUTE: '1' });
    },
    async () => {
      browser = await launchBrowser();
    },
  );
});

afterAll(async () => {
  await run?.context.close();
  await browser?.close();
  await server?.close();
});

test('a message over the limit: "please slow down" in the conversation, in French, and the text kept', async () => {
  run = await openWatchedPage(browser);
  const { page } = run;
  page.setDefaultTimeout(10_000);
  await page.goto(`${server.base}/`);
  const w = widget(page);
  await w.bubble.click();
  await w.input.fill('bonjour');
  await w.input.press('Enter');
  await w.bot.first().waitFor();

  await w.input.fill('combien de temps dure la garantie ?');
  await w.input.press('Enter');
  const note = page.locator('#savbot-widget .msg.limited');
  await note.waitFor();
  expect(await note.textContent()).toContain(STRINGS.fr.slowDown);
  expect(await w.input.inputValue()).toBe('combien de temps dure la garantie ?');
  expect(run.offLoopback).toEqual([]);
  expect(run.seen.errors).toEqual([]);
});
