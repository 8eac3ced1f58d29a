/**
 * The agent desk at /agent in a real browser (Debian's Chromium), two agents in two browser contexts and a customer
 * in the widget of the demo page, against the real server on loopback: the claim race, a reply (with the typing
 * line) reaching the widget, a knowledge-base answer inserted, a transfer, a close and the satisfaction question.
 */
import type { Browser, Page, Route } from 'playwright-core';
import sharp from 'sharp';
import { DIALOG_MESSAGES } from '../../src/dialogs/messages';
import { HANDOFF_MESSAGES } from '../../src/handoff/messages';
import { startAll } from '../support/app';
import { launchBrowser } from '../support/browser';
import {
  closeWatchedPage,
  hoursAroundNow,
  openWatchedPage,
  startWidgetServer,
  widget,
  type WatchedPage,
  type WidgetServer,
} from './support';

const TOKENS = { Anna: 'anna-desk-token-0123456789', Boris: 'boris-desk-token-0123456789' };

let server: WidgetServer;
let browser: Browser;
let customer: WatchedPage;
let anna: WatchedPage;
let boris: WatchedPage;
let conversationId: string;
/** The agent who won the claim, and the other. */
let winner: { name: string; page: Page };
let loser: { name: string; page: Page };

beforeAll(async () => {
  await startAll(
    async () => {
      server = await startWidgetServer({
        HANDOFF_HOURS: hoursAroundNow(true),
        AGENT_TOKENS: Object.entries(TOKENS)
          .map(([n, t]) => `${n}:${t}`)
          .join(','),
      });
    },
    async () => {
      browser = await launchBrowser();
    },
  );
  customer = await openWatchedPage(browser);
  anna = await openWatchedPage(browser);
  boris = await openWatchedPage(browser);
  for (const run of [customer, anna, boris]) run.page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  for (const run of [customer, anna, boris]) await closeWatchedPage(run);
  await browser?.close();
  await server?.close();
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The widget shows typographic apostrophes as typed ones. */
const loosely = (s: string) => new RegExp(escape(s).replace(/[’']/g, "['’]"));

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${server.base}/agent`);
  await page.locator('#token').fill(token);
  await page.locator('#token').press('Enter');
  await page.locator('#desk').waitFor();
}

/** The conversation's button in an agent's list. */
const listed = (page: Page) => page.locator(`#list button.conv[data-id="${conversationId}"]`);

test('a customer asks for a person: both agents see the conversation appear, by queue, with a title count', async () => {
  await signIn(anna.page, TOKENS.Anna);
  await signIn(boris.page, TOKENS.Boris);
  expect(await anna.page.locator('#me').textContent()).toBe('Signed in as Anna');
  await customer.page.goto(`${server.base}/`);
  const w = widget(customer.page);
  await w.bubble.click();
  await w.input.fill('je veux parler à un conseiller');
  await w.input.press('Enter');
  await w.customer.first().waitFor();
  const raw = await customer.page.evaluate(
    () => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1],
  );
  conversationId = (JSON.parse(raw!) as { conversationId: string }).conversationId;
  for (const page of [anna.page, boris.page]) {
    await listed(page).waitFor();
    expect(await listed(page).locator('.meta').textContent()).toMatch(/^FR · customer-request · waiting \d+ min$/);
    expect(await listed(page).locator('.preview').textContent()).toBe('je veux parler à un conseiller');
    expect(await page.locator('#list h2').first().textContent()).toBe('general (1 waiting)');
    await expect(page.title()).resolves.toBe('(1) Agent desk');
  }
});

test('both agents claim at once: exactly one wins, the other is told who has it', async () => {
  await listed(anna.page).click();
  await listed(boris.page).click();
  // Both claims leave their browser before either reaches the server: each is held until the other is sent too.
  let arrived = 0;
  let release!: () => void;
  const both = new Promise<void>((resolve) => (release = resolve));
  const hold = async (route: Route) => {
    if (++arrived === 2) release();
    await both;
    await route.continue();
  };
  await anna.context.route('**/claim', hold);
  await boris.context.route('**/claim', hold);
  await Promise.all([anna.page.locator('#claim').click(), boris.page.locator('#claim').click()]);
  const notice = (page: Page) =>
    page.locator('#notice').filter({ hasText: /You have this conversation|already taken by/ });
  await notice(anna.page).waitFor();
  await notice(boris.page).waitFor();
  const texts = [await notice(anna.page).textContent(), await notice(boris.page).textContent()];
  expect(texts.filter((t) => t === 'You have this conversation.')).toHaveLength(1);
  const annaWon = texts[0] === 'You have this conversation.';
  winner = annaWon ? { name: 'Anna', page: anna.page } : { name: 'Boris', page: boris.page };
  loser = annaWon ? { name: 'Boris', page: boris.page } : { name: 'Anna', page: anna.page };
  expect(texts[annaWon ? 1 : 0]).toContain(`already taken by ${winner.name}`);
  await widget(customer.page).withText(HANDOFF_MESSAGES.fr.joined(winner.name)).waitFor();
  // The loser's desk shows who has it; only the winner may write.
  await loser.page
    .locator('#conv-title')
    .filter({ hasText: `with ${winner.name}` })
    .waitFor();
  expect(await loser.page.locator('#reply').isDisabled()).toBe(true);
  expect(await winner.page.locator('#reply').isDisabled()).toBe(false);
});

test('the reply: the customer sees the agent typing, then the message; the answer back appears live', async () => {
  const w = widget(customer.page);
  await winner.page.locator('#reply').pressSequentially('Bonjour, je regarde');
  await w.typing.filter({ hasText: `${winner.name} écrit…` }).waitFor();
  await winner.page.locator('#reply').press('Enter');
  await w.agentMessages.filter({ hasText: 'Bonjour, je regarde' }).waitFor();
  expect(await winner.page.locator('#reply').inputValue()).toBe('');
  await w.input.fill('merci, ma commande est la 1042');
  await w.input.press('Enter');
  await winner.page.locator('#messages .msg.customer .body').filter({ hasText: 'ma commande est la 1042' }).waitFor();
  // What the bot understood is shown with its messages (source, and confidence when it had one).
  expect(await winner.page.locator('#messages .msg.bot .source').first().textContent()).toMatch(/^ · \w+/);
});

test("the customer's photo shows as a thumbnail on the desk", async () => {
  const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c60' } })
    .png()
    .toBuffer();
  const root = customer.page.locator('#savbot-widget');
  await root
    .locator('form input[type=file]')
    .first()
    .setInputFiles({ name: 'colis.png', mimeType: 'image/png', buffer: png });
  await root.locator('.tray .name').waitFor();
  await root.locator('textarea').press('Enter');
  const thumb = winner.page.locator('#messages img.thumb[alt="colis.png"]');
  await thumb.waitFor();
  // Loaded through its signed link (same origin): decoded at its real size.
  await thumb.evaluate((img) => (img as HTMLImageElement).decode());
  expect(await thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(40);
});

test('a knowledge-base answer in the customer language, inserted into the reply box in one click', async () => {
  const page = winner.page;
  await page.locator('#kb-q').fill('retourner un produit');
  await page.locator('#kb-q').press('Enter');
  const first = page.locator('#answers li.answer').first();
  await first.waitFor();
  const answer = (await first.locator('.body').textContent())!;
  const entry = server.app.engine.content.kb.entries.find((e) => e.answer.fr === answer);
  expect(entry).toBeDefined();
  await first.locator('button.insert').click();
  expect(await page.locator('#reply').inputValue()).toBe(answer);
  await page.locator('#reply').press('Enter');
  await widget(customer.page)
    .agentMessages.last()
    .filter({ hasText: answer.slice(0, 30) })
    .waitFor();
});

test('internal notes stay on the desk: the other agent sees them, the customer never', async () => {
  await loser.page.locator('#note').fill('Client fidèle, geste commercial possible');
  await loser.page.locator('#add-note').click();
  await loser.page.locator('#notes .note .body').filter({ hasText: 'geste commercial' }).waitFor();
  // The colleague's desk shows it too, without reloading.
  await winner.page.locator('#notes .note .body').filter({ hasText: 'geste commercial' }).waitFor();
  expect(await winner.page.locator('#notes .note .head').last().textContent()).toMatch(new RegExp(`^${loser.name} · `));
  await widget(customer.page).messages.last().waitFor();
  expect(await customer.page.content()).not.toContain('geste commercial');
});

test('a transfer: waiting again in the new queue, the customer told, and the other agent may claim it', async () => {
  await winner.page.locator('#transfer-queue').selectOption('billing');
  await winner.page.locator('#transfer').click();
  await widget(customer.page).withText('facturation').waitFor();
  expect(await widget(customer.page).withText('facturation').textContent()).toMatch(
    loosely('Votre conversation est transférée à l’équipe facturation.'),
  );
  await loser.page.locator('#list h2').filter({ hasText: 'billing (1 waiting)' }).waitFor();
  await loser.page.locator('#claim:not([disabled])').click();
  await loser.page.locator('#notice').filter({ hasText: 'You have this conversation.' }).waitFor();
  await widget(customer.page).withText(HANDOFF_MESSAGES.fr.joined(loser.name)).waitFor();
});

test('WCAG AA: every text of the desk has at least 4.5:1 contrast on the background behind it', async () => {
  // Measured on the loser's page: list, transcript (bot, customer, agent), note, answers, buttons enabled and disabled.
  const ratios = await loser.page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) =>
      [r!, g!, b!]
        .map((v) => v / 255)
        .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i]!, 0);
    const background = (e: Element | null): number[] => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out: [string, number][] = [];
    for (const e of document.querySelectorAll('#desk *')) {
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim());
      if (!own || (e as HTMLElement).offsetParent === null) continue;
      const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
      out.push([`${e.tagName}#${e.id}.${e.className}`, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]);
    }
    return out;
  });
  expect(ratios.length).toBeGreaterThan(20);
  expect(ratios.filter(([, r]) => r < 4.5)).toEqual([]);
});

test('close with a note, by keyboard: the bot is back and asks the satisfaction question; the note reaches the webhook event, not the customer', async () => {
  const note = 'Remboursement accordé, dossier R-77120';
  const box = loser.page.locator('#close-note');
  expect(await box.isDisabled()).toBe(false);
  // From the transfer's select, Tab by Tab to the note (its label says Enter closes).
  await loser.page.locator('#transfer-queue').focus();
  for (let i = 0; i < 10 && (await loser.page.evaluate(() => document.activeElement?.id)) !== 'close-note'; i++)
    await loser.page.keyboard.press('Tab');
  expect(await loser.page.evaluate(() => document.activeElement?.id)).toBe('close-note');
  await loser.page.keyboard.type(note);
  await loser.page.keyboard.press('Enter');
  const w = widget(customer.page);
  await w.withText(DIALOG_MESSAGES.fr.csatQuestion).waitFor();
  await w.buttons.filter({ hasText: /^5$/ }).waitFor();
  await loser.page.locator('#conv-title').filter({ hasText: 'Conversation closed' }).waitFor();
  await expect(loser.page.title()).resolves.toBe('Agent desk');
  expect(await box.inputValue()).toBe('');
  expect(await box.isDisabled()).toBe(true);
  const closed = (await server.app.store.events(conversationId)).filter((e) => e.type === 'conversation.closed');
  expect(closed.map((e) => (JSON.parse(e.body) as { data: Record<string, unknown> }).data)).toEqual([
    expect.objectContaining({ reason: 'completed', note }),
  ]);
  expect(await customer.page.content()).not.toContain('R-77120');
});

test('keyboard: Tab reaches the token, Enter signs in, the focus is visible; a wrong token is told', async () => {
  const run = await openWatchedPage(browser);
  try {
    const { page } = run;
    await page.goto(`${server.base}/agent`);
    expect(await page.locator('#desk').isHidden()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    await page.keyboard.type(TOKENS.Anna);
    await page.keyboard.press('Enter');
    await page.locator('#desk').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sign-out');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    // A wrong token is refused with a message, and the form stays.
    await page.locator('#sign-out').press('Enter');
    await page.locator('#token').fill('not-a-valid-agent-token');
    await page.locator('#token').press('Enter');
    await page.locator('#signin-error').filter({ hasText: 'unknown agent token' }).waitFor();
    expect(await page.locator('#desk').isHidden()).toBe(true);
  } finally {
    await closeWatchedPage(run);
  }
});
