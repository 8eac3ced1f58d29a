/**
 * The widget on the French demo page in Debian's Chromium, against the real server: it opens with the greeting and
 * its starter buttons, a Romanian conversation turns the widget's own words Romanian, and "was this helpful? 👍 👎"
 * under an answer records the vote: a 👎 puts the question in the editors' inbox as "answered, probably wrong"
 * (read through the admin API).
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { STRINGS } from '../../src/channels/widget/client/strings';
import { startAll } from '../support/app';
import { launchBrowser } from '../support/browser';
import {
  openWatchedPage,
  startWidgetServer,
  widget,
  type WatchedPage,
  type WidgetServer,
  closeWatchedPage,
} from './support';

const EDITOR = randomBytes(24).toString('base64url');
let server: WidgetServer;
let browser: Browser;
let current: WatchedPage | undefined;

beforeAll(async () => {
  await startAll(
    async () => {
      server = await startWidgetServer({ ADMIN_TOKENS: `eve:editor:${EDITOR}` });
    },
    async () => {
      browser = await launchBrowser();
    },
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  const run = current;
  current = undefined;
  await closeWatchedPage(run);
});

async function demoPage(): Promise<WatchedPage> {
  current = await openWatchedPage(browser);
  current.page.setDefaultTimeout(10_000);
  await current.page.goto(`${server.base}/`);
  await widget(current.page).bubble.waitFor();
  return current;
}

const root = (run: WatchedPage) => run.page.locator('#savbot-widget');

test('the panel opens with the greeting and starter buttons; a starter button answers its question', async () => {
  const run = await demoPage();
  const w = widget(run.page);
  expect(await run.page.evaluate(() => document.documentElement.lang)).toBe('fr');
  await w.bubble.click();
  // Nothing typed yet: the greeting of the knowledge base, with its starter buttons.
  await w.bot.first().waitFor();
  expect(await w.bot.first().locator('.body').textContent()).toMatch(/^Bonjour ! Je suis l'assistant/);
  const starters = await w.buttons.allTextContents();
  expect(starters).toEqual(['Suivre ma commande', 'Faire jouer la garantie', 'Suivi de ma réparation']);
  // Small talk does not ask whether it helped.
  expect(await root(run).locator('.feedback').count()).toBe(0);
  await w.buttons.filter({ hasText: 'Faire jouer la garantie' }).click();
  await w.bot.nth(1).waitFor();
  expect(await w.customer.first().locator('.body').textContent()).toBe('Faire jouer la garantie');
  expect(await w.bot.nth(1).getAttribute('data-text')).not.toBe(await w.bot.first().getAttribute('data-text'));
});

test("a Romanian conversation on the French page shows the widget's Romanian words; 👎 reaches the inbox", async () => {
  const run = await demoPage();
  const w = widget(run.page);
  await w.bubble.click();
  await w.bot.first().waitFor();
  expect(await w.input.getAttribute('placeholder')).toBe(STRINGS.fr.placeholder);
  const question = 'cât costă livrarea la domiciliu?';
  await w.input.fill(question);
  await w.input.press('Enter');
  await w.bot.nth(1).waitFor();
  expect(await w.bot.nth(1).locator('.body').textContent()).toMatch(/^Trei opțiuni/);
  // The widget's own words follow the conversation: placeholder, send button, who wrote what.
  expect(await w.input.getAttribute('placeholder')).toBe('Scrieți întrebarea…');
  expect(await root(run).locator('button.send').textContent()).toBe('Trimite');
  expect(await w.customer.first().locator('.who').textContent()).toBe('Dumneavoastră');
  expect(await w.bot.first().locator('.who').textContent()).toBe('Asistent');
  expect(await run.page.locator('#savbot-widget .root').getAttribute('lang')).toBe('ro');

  // "Was this helpful?" under the answer, in Romanian too.
  const row = w.bot.nth(1).locator('.feedback');
  expect(await row.locator('span').textContent()).toBe('V-a fost util acest răspuns?');
  await row.locator('button[data-vote="down"]').click();
  await w.bot.nth(2).waitFor();
  expect(await w.bot.nth(2).locator('.body').textContent()).toMatch(/^Ne pare rău că răspunsul nu v-a ajutat/);
  expect(await w.customer.nth(1).locator('.body').textContent()).toBe('👎');
  // Voted: the question is no longer asked.
  expect(await root(run).locator('.feedback').count()).toBe(0);

  const res = await fetch(`${server.base}/api/admin/inbox?since=1h`, {
    headers: { authorization: `Bearer ${EDITOR}` },
  });
  expect(res.status).toBe(200);
  const { groups } = (await res.json()) as {
    groups: {
      reasons: Record<string, number>;
      examples: { text: string; answer?: { id: string; signal: string } }[];
    }[];
  };
  const group = groups.find((g) => g.examples.some((x) => x.text === question));
  expect(group?.reasons).toEqual({ 'probably-wrong': 1 });
  expect(group?.examples[0]?.answer).toMatchObject({ id: 'delivery-options', signal: 'down-vote' });
  const figures = await fetch(`${server.base}/api/admin/figures?since=1h`, {
    headers: { authorization: `Bearer ${EDITOR}` },
  });
  const f = (await figures.json()) as { helpfulness: { byEntry: Record<string, { up: number; down: number }> } };
  expect(f.helpfulness.byEntry['delivery-options']).toEqual({ up: 0, down: 1, rate: 0 });
});
