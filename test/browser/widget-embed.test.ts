/**
 * The widget embedded on another site (another origin on loopback) with one script tag: works when the site is in
 * WIDGET_ALLOWED_ORIGINS (API calls and the event stream), is refused by the browser's CORS check otherwise. The
 * page has no data-lang: the widget speaks the page's <html lang="ro">.
 */
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { startAll } from '../support/app';
import { launchBrowser } from '../support/browser';
import { listenOnLoopback } from '../support/processes';
import {
  openWatchedPage,
  startWidgetServer,
  widget,
  type WatchedPage,
  type WidgetServer,
  closeWatchedPage,
} from './support';

let bot: WidgetServer;
let browser: Browser;
const sites: { base: string; close(): Promise<void> }[] = [];
let current: WatchedPage | undefined;

/** A shop's own site: a page with the snippet pointing at the bot server. */
async function shopSite(botBase: () => string): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="ro"><head><meta charset="utf-8"><title>Magazin</title></head><body><h1>Magazinul nostru</h1><script src="${botBase()}/widget.js"></script></body></html>`,
    );
  });
  return listenOnLoopback({ listen: (port: number, host: string): Server => server.listen(port, host) });
}

beforeAll(async () => {
  let botBase = '';
  const allowed = await shopSite(() => botBase);
  const other = await shopSite(() => botBase);
  sites.push(allowed, other);
  await startAll(
    async () => {
      bot = await startWidgetServer({ WIDGET_ALLOWED_ORIGINS: allowed.base });
    },
    async () => {
      browser = await launchBrowser();
    },
  );
  botBase = bot.base;
});

afterAll(async () => {
  await browser?.close();
  await bot?.close();
  await Promise.all(sites.map((s) => s.close()));
});

afterEach(async () => {
  const run = current;
  current = undefined;
  await closeWatchedPage(run);
});

async function open(site: string): Promise<WatchedPage> {
  current = await openWatchedPage(browser);
  current.page.setDefaultTimeout(10_000);
  await current.page.goto(site);
  await widget(current.page).bubble.click();
  return current;
}

test('an allowed site: questions, answers and the event stream work across origins, in the page language', async () => {
  const { page } = await open(sites[0]!.base);
  const w = widget(page);
  expect(await w.bubble.getAttribute('aria-label')).toBe('Deschide chatul de service după vânzare');
  await w.input.fill('cât durează garanția?');
  await w.input.press('Enter');
  await w.withText('garanți').first().waitFor();
  // Queue updates come on the event stream only.
  await w.input.fill('vreau să vorbesc cu un operator');
  await w.input.press('Enter');
  await w.status.filter({ hasText: /^Poziția dumneavoastră în coadă: 1 · / }).waitFor();
});

test('a site not in WIDGET_ALLOWED_ORIGINS: the browser refuses the API, the widget says the message was not sent', async () => {
  const { page } = await open(sites[1]!.base);
  const w = widget(page);
  await w.input.fill('bună ziua');
  await w.input.press('Enter');
  await w.status.filter({ hasText: 'Mesajul nu a putut fi trimis. Încercați din nou.' }).waitFor();
  expect(await w.messages.count()).toBe(0);
  expect(await page.locator('#savbot-widget .msg.failed').count()).toBe(1);
});

test('an allowed site: a photo uploads across origins (preflighted XHR) and its thumbnail loads with the token', async () => {
  const { page } = await open(sites[0]!.base);
  const root = page.locator('#savbot-widget');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), root.locator('button.attach').click()]);
  expect(await root.locator('button.attach').getAttribute('aria-label')).toBe('Atașați o fotografie sau un PDF');
  // The smallest PNG: 1x1, opaque.
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  );
  await chooser.setFiles({ name: 'colet.png', mimeType: 'image/png', buffer: png });
  await widget(page).input.press('Enter');
  await root.locator('.msg.customer[data-id] .thumb').waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('#savbot-widget')?.shadowRoot?.querySelector('.thumb img');
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth === 1;
  });
  expect(await root.locator('.file-error').textContent()).toBe('');
});
