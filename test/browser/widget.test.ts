/**
 * The website widget in a real browser (Debian's Chromium) on the demo page, against the real server on loopback:
 * a whole customer journey, keyboard-only use, and a reconnect after the network drops.
 */
import type { Browser } from 'playwright-core';
import { DIALOG_MESSAGES } from '../../src/dialogs/messages';
import { startAll } from '../support/app';
import { HANDOFF_MESSAGES } from '../../src/handoff/messages';
import { launchBrowser } from '../support/browser';
import {
  focusedInWidget,
  hoursAroundNow,
  openWatchedPage,
  startWidgetServer,
  widget,
  type WatchedPage,
  type WidgetServer,
  closeWatchedPage,
} from './support';

let server: WidgetServer;
let browser: Browser;
let current: WatchedPage | undefined;

beforeAll(async () => {
  // Agents at work for every test but the one about closed hours (which runs its own server).
  await startAll(
    async () => {
      server = await startWidgetServer({ HANDOFF_HOURS: hoursAroundNow(true) });
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

async function demoPage(options: Parameters<Browser['newContext']>[0] = {}, on = server): Promise<WatchedPage> {
  current = await openWatchedPage(browser, options);
  current.page.setDefaultTimeout(10_000);
  await current.page.goto(`${on.base}/`);
  await widget(current.page).bubble.waitFor();
  return current;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The conversation id the widget keeps for the page's origin. */
async function conversationId(run: WatchedPage): Promise<string> {
  const raw = await run.page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1]);
  return (JSON.parse(raw!) as { conversationId: string }).conversationId;
}

interface StoredMessage {
  id: number;
  from: string;
  text: string;
  suggestions?: { label: string; value: string }[];
}

/** The conversation's messages as the widget API serves them (GET .../messages with the page's own token). */
async function storedMessages(run: WatchedPage): Promise<StoredMessage[]> {
  const raw = await run.page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1]);
  const { conversationId, token } = JSON.parse(raw!) as { conversationId: string; token: string };
  const res = await fetch(`${server.base}/api/conversations/${conversationId}/messages`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: StoredMessage[] }).messages;
}

/** Which messages show buttons, and their labels: [message id, labels] for each. */
function shownButtons(run: WatchedPage): Promise<[number, string[]][]> {
  return widget(run.page).messages.evaluateAll((els) =>
    els
      .filter((e) => e.querySelector('.suggestions'))
      .map((e): [number, string[]] => [
        Number((e as HTMLElement).dataset.id),
        [...e.querySelectorAll('.suggestions button')].map((b) => b.textContent ?? ''),
      ]),
  );
}

/** The buttons a widget should show: the latest stored message's, if it has any. */
async function latestButtons(run: WatchedPage): Promise<[number, string[]][]> {
  const last = (await storedMessages(run)).at(-1)!;
  return last.suggestions?.length ? [[last.id, last.suggestions.map((s) => s.label)]] : [];
}

async function say(run: WatchedPage, text: string): Promise<void> {
  const w = widget(run.page);
  const before = await w.customer.count();
  await w.input.fill(text);
  await w.input.press('Enter');
  await w.customer.nth(before).waitFor();
}

test('the demo shop page: greet, FAQ in French, a suggestion, a dialog, a person, reload, satisfaction', async () => {
  const run = await demoPage();
  const { page } = run;
  const w = widget(page);
  expect(await page.title()).toMatch(/Maison Volta/);
  await expect(w.panel.isHidden()).resolves.toBe(true);
  expect(await w.bubble.getAttribute('aria-label')).toBe('Ouvrir le chat du service après-vente');

  await w.bubble.click();
  await w.panel.waitFor();
  expect(await w.bubble.getAttribute('aria-expanded')).toBe('true');
  expect(await focusedInWidget(page)).toBe('savbot-input');

  // Opening the panel: the greeting and its starter buttons, before anything is typed.
  await w.withText("Bonjour ! Je suis l'assistant").waitFor();
  await w.buttons.filter({ hasText: 'Suivi de ma réparation' }).waitFor();
  // Buttons are the stored message's, on the latest message only.
  expect(await shownButtons(run)).toEqual(await latestButtons(run));

  // A French FAQ, then one of its suggestions.
  await say(run, 'combien de temps dure la garantie ?');
  await w.withText('garantie légale de 2 ans').waitFor();
  await w.buttons.first().waitFor();
  // The greeting's buttons went with the next question: only the answer's are on offer.
  const offered = await shownButtons(run);
  expect(offered).toEqual(await latestButtons(run));
  expect(offered).toHaveLength(1);
  const suggestion = w.buttons.filter({ hasText: 'Extension de garantie Volta+' });
  await suggestion.click();
  // The click shows its label as the customer's message, and the bot answers the entry.
  await w.customer.filter({ hasText: 'Extension de garantie Volta+' }).waitFor();
  await w.bot.nth(2).waitFor();
  expect(await w.bot.nth(2).getAttribute('data-text')).not.toBe(await w.bot.nth(1).getAttribute('data-text'));

  // A dialog: repair status with a file number from the sample back office.
  await say(run, 'où en est la réparation de mon appareil ?');
  await w.withText('numéro de dossier').waitFor();
  await say(run, 'R-205340');
  await w.withText('est prêt').waitFor();

  // A person: queue position and estimated wait, then the agent's name, typing, and reply.
  await say(run, 'je veux parler à un conseiller');
  // Agents are at work (hoursAroundNow): the place, and no estimate since no agent has joined yet on this server
  // (none is made up). Closed hours are the next test's.
  await w.status
    .filter({ hasText: /^Vous êtes n° 1 dans la file d'attente · un conseiller vous répondra dès que possible$/ })
    .waitFor();
  await w.withText(HANDOFF_MESSAGES.fr.queued(1, undefined)).waitFor();
  await w.buttons.filter({ hasText: 'Annuler' }).waitFor();
  expect(await shownButtons(run)).toEqual(await latestButtons(run));
  // The queue bar took room from the log: the Cancel button is still in view, not below its visible area.
  const cancel = (await w.buttons.filter({ hasText: 'Annuler' }).boundingBox())!;
  const log = (await page.locator('#savbot-widget .log').boundingBox())!;
  expect(cancel.y).toBeGreaterThanOrEqual(log.y);
  expect(cancel.y + cancel.height).toBeLessThanOrEqual(log.y + log.height + 1);
  const id = await conversationId(run);
  await server.agent({ type: 'agent.joined', conversationId: id, agent: { name: 'Marie' } });
  await w.withText('Marie a rejoint la conversation.').waitFor();
  // A person took over: the queue's "cancel" button is no longer on offer.
  expect(await shownButtons(run)).toEqual([]);
  await w.status.filter({ hasText: 'Vous discutez avec Marie' }).waitFor();
  await server.agent({ type: 'agent.typing', conversationId: id, agent: { name: 'Marie' } });
  await w.typing.filter({ hasText: 'Marie écrit…' }).waitFor();
  await server.agent({
    type: 'agent.message',
    conversationId: id,
    text: 'Bonjour, je regarde votre dossier R-205340. Suivi : https://shop.example/suivi?n=R-205340.',
    agent: { name: 'Marie' },
  });
  const agentMsg = w.agentMessages.filter({ hasText: 'Bonjour, je regarde votre dossier R-205340.' });
  await agentMsg.waitFor();
  expect(await agentMsg.locator('.meta').textContent()).toMatch(/^Marie · \d{2}:\d{2}$/);
  // A URL in a message is a safe link (the sentence's full stop left out); the rest stays text.
  const link = agentMsg.locator('a');
  expect(
    await link.evaluate((a) => ({
      href: a.getAttribute('href'),
      text: a.textContent,
      rel: a.getAttribute('rel'),
      target: a.getAttribute('target'),
    })),
  ).toEqual({
    href: 'https://shop.example/suivi?n=R-205340',
    text: 'https://shop.example/suivi?n=R-205340',
    rel: 'noopener noreferrer',
    target: '_blank',
  });
  await w.typing.filter({ hasText: /^$/ }).waitFor();

  // Every message has a timestamp; the transcript is shown once each, in order.
  const shown = await w.messages.evaluateAll((els) =>
    els.map((e) => ({
      id: Number((e as HTMLElement).dataset.id),
      time: e.querySelector('time')?.getAttribute('datetime'),
    })),
  );
  expect(shown.every((m) => m.time && !Number.isNaN(Date.parse(m.time)))).toBe(true);
  const stored = (await server.app.engine.transcript(id)).map((m) => m.id);
  expect(shown.map((m) => m.id)).toEqual(stored);
  const texts = await w.messages.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.text));

  // Reload: the same conversation and history, nothing twice.
  await page.reload();
  await w.messages.nth(stored.length - 1).waitFor({ state: 'attached' });
  expect(await w.messages.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.text))).toEqual(texts);
  expect(await conversationId(run)).toBe(id);
  expect(await shownButtons(run)).toEqual([]);

  // The history is not "new"; what arrives while the panel is closed is counted on the bubble.
  const badge = page.locator('#savbot-widget .badge');
  expect(await badge.isHidden()).toBe(true);
  // The agent closes the case: the bot says so and asks for a rating with 1-5 buttons.
  await server.agent({ type: 'handoff.completed', conversationId: id, note: 'réglé' });
  await badge.filter({ hasText: '2' }).waitFor();
  expect(await w.bubble.getAttribute('aria-label')).toBe(
    'Ouvrir le chat du service après-vente (2 nouveau(x) message(s))',
  );
  await w.bubble.click();
  expect(await badge.isHidden()).toBe(true);
  // The 1-5 buttons are the stored question's, as GET .../messages serves them.
  const csatButtons = w.buttons.filter({ hasText: /^[1-5]$/ });
  await csatButtons.nth(4).waitFor();
  const csat = (await storedMessages(run)).at(-1)!;
  expect(csat).toMatchObject({ from: 'bot', text: DIALOG_MESSAGES.fr.csatQuestion });
  expect(csat.suggestions?.map((s) => s.value)).toEqual(['csat:1', 'csat:2', 'csat:3', 'csat:4', 'csat:5']);
  expect(await shownButtons(run)).toEqual([[csat.id, csat.suggestions!.map((s) => s.label)]]);

  // Reload on the question: the same buttons, on the same message, and a click answers it.
  await page.reload();
  await w.messages.filter({ has: page.locator('.suggestions') }).waitFor({ state: 'attached' });
  expect(await shownButtons(run)).toEqual([[csat.id, csat.suggestions!.map((s) => s.label)]]);
  await w.bubble.click();
  await csatButtons.filter({ hasText: '5' }).click();
  await w.customer.locator('.body').filter({ hasText: /^5$/ }).waitFor();
  await w.withText('Merci pour votre note !').waitFor();
  expect((await server.app.engine.getConversation(id))?.csat?.score).toBe(5);
  // The buttons are gone once answered.
  expect(await csatButtons.count()).toBe(0);
});

test('outside opening hours: the queue line says an agent answers at opening, the bot says when they are back', async () => {
  const closed = await startWidgetServer({ HANDOFF_HOURS: hoursAroundNow(false) });
  try {
    const run = await demoPage({}, closed);
    const w = widget(run.page);
    await w.bubble.click();
    await say(run, 'je veux parler à un conseiller');
    await w.status
      .filter({ hasText: /^Vous êtes n° 1 dans la file d'attente · un conseiller vous répondra dès l'ouverture$/ })
      .waitFor();
    const [before, after] = HANDOFF_MESSAGES.fr.closedNow('\u0000').split('\u0000');
    const reply = w.withText(before!.trim());
    await reply.waitFor();
    expect(await reply.textContent()).toMatch(new RegExp(`^${escape(before!)}.+${escape(after!)}$`));
    expect(await w.withText('Attente estimée').count()).toBe(0);
    await w.buttons.filter({ hasText: 'Annuler' }).waitFor();
    const id = await conversationId(run);
    expect((await closed.app.engine.queueStatus(id))?.open).toBe(false);
  } finally {
    // The page first (afterEach finds nothing left), then its server.
    const run = current;
    current = undefined;
    await run?.context.close();
    if (run) {
      expect(run.offLoopback).toEqual([]);
      expect(run.seen).toEqual({ dialogs: [], errors: [] });
    }
    await closed.close();
  }
});

test('did you mean: an ambiguous word offers both entries and "neither"; after a reload they are still there and a click answers the chosen one', async () => {
  const run = await demoPage();
  const { page } = run;
  const w = widget(page);
  await w.bubble.click();
  // The greeting of the opening, with its starter buttons.
  await w.buttons.first().waitFor();
  await say(run, 'colis');
  await w.buttons.filter({ hasText: 'Aucun des deux' }).waitFor();
  // Both entries in the order of their scores (which the knowledge base decides), then "neither".
  const labels = await w.buttons.allTextContents();
  expect([...labels.slice(0, 2)].sort()).toEqual([
    'Colis en retard ou non reçu',
    'Colis ou produit abîmé à la livraison',
  ]);
  expect(labels[2]).toBe('Aucun des deux');

  // Reload: the history comes back with the buttons of its last message only (not the greeting's).
  await page.reload();
  await w.messages.filter({ has: page.locator('.suggestions') }).waitFor({ state: 'attached' });
  const shown = await shownButtons(run);
  expect(shown).toEqual(await latestButtons(run));
  expect(shown.map(([, l]) => l)).toEqual([labels]);
  expect(await w.messages.count()).toBe(3);

  await w.bubble.click();
  await w.buttons.filter({ hasText: 'Colis en retard ou non reçu' }).click();
  await w.customer.filter({ hasText: 'Colis en retard ou non reçu' }).waitFor();
  await w.bot.nth(2).waitFor();
  const id = await conversationId(run);
  expect((await server.app.engine.transcript(id)).slice(1).map((m) => [m.from, m.source?.kind ?? m.action])).toEqual([
    ['customer', undefined],
    ['bot', 'clarify'],
    ['customer', expect.stringMatching(/^faq:/)],
    ['bot', expect.stringMatching(/^(faq|dialog)$/)],
  ]);
  expect(await shownButtons(run)).toEqual(await latestButtons(run));
});

test('a message not sent (offline) is marked, the last buttons are offered again, and one works once back online', async () => {
  const run = await demoPage();
  const { page, context } = run;
  const w = widget(page);
  await w.bubble.click();
  await say(run, 'colis');
  await w.buttons.filter({ hasText: 'Aucun des deux' }).waitFor();
  const offered = await shownButtons(run);
  await context.setOffline(true);
  await w.input.fill('bonjour');
  await w.input.press('Enter');
  const failed = page.locator('#savbot-widget .msg.failed');
  await failed.waitFor();
  expect(await shownButtons(run)).toEqual(offered);
  await context.setOffline(false);
  await w.buttons.filter({ hasText: 'Colis en retard ou non reçu' }).click();
  await w.customer.filter({ hasText: 'Colis en retard ou non reçu' }).waitFor();
  // The greeting of the opening, the clarification, then the answer.
  await w.bot.nth(2).waitFor();
  expect(await failed.count()).toBe(0);
  const id = await conversationId(run);
  expect((await server.app.engine.transcript(id)).map((m) => [m.from, m.action ?? m.text])).toEqual([
    ['bot', expect.stringMatching(/^Bonjour !/)],
    ['customer', 'colis'],
    ['bot', expect.any(String)],
    ['customer', expect.stringMatching(/^faq:/)],
    ['bot', expect.any(String)],
  ]);
});

test('a kept conversation the server does not know (data reset) is dropped: the next message starts a new one', async () => {
  const run = await demoPage();
  const { page } = run;
  const gone = '00000000-0000-0000-0000-000000000000';
  await page.evaluate(
    ([key, id]) => localStorage.setItem(key!, JSON.stringify({ conversationId: id, token: 'stale-token' })),
    [`savbot:${server.base}`, gone],
  );
  await page.reload();
  await page.waitForFunction((key) => localStorage.getItem(key) === null, `savbot:${server.base}`);
  const w = widget(page);
  await w.bubble.click();
  await say(run, 'bonjour');
  await w.bot.first().waitFor();
  const id = await conversationId(run);
  expect(id).not.toBe(gone);
  // The new conversation: the greeting of the opening, then the message.
  expect((await server.app.engine.transcript(id)).slice(0, 2).map((m) => [m.from, m.text])).toEqual([
    ['bot', expect.stringMatching(/^Bonjour !/)],
    ['customer', 'bonjour'],
  ]);
});

test('keyboard only: Tab to the bubble, Enter opens on the input, a suggestion with Enter, Escape closes back to the bubble', async () => {
  const run = await demoPage();
  const { page } = run;
  const w = widget(page);
  for (let i = 0; i < 40 && (await focusedInWidget(page)) !== 'bubble'; i++) await page.keyboard.press('Tab');
  expect(await focusedInWidget(page)).toBe('bubble');
  await page.keyboard.press('Enter');
  await w.panel.waitFor();
  expect(await focusedInWidget(page)).toBe('savbot-input');

  await page.keyboard.type('combien de temps dure la garantie ?');
  await page.keyboard.press('Enter');
  await w.withText('garantie légale de 2 ans').waitFor();
  await w.buttons.first().waitFor();
  // Back from the input: the last suggestion of the message list.
  await page.keyboard.press('Shift+Tab');
  const label = await page.evaluate(
    () => document.getElementById('savbot-widget')!.shadowRoot!.activeElement!.textContent,
  );
  expect(label).toBe('Enregistrer un produit');
  await page.keyboard.press('Enter');
  await w.customer.filter({ hasText: 'Enregistrer un produit' }).waitFor();
  await w.bot.nth(1).waitFor();
  expect(await focusedInWidget(page)).toBe('savbot-input');

  await page.keyboard.press('Escape');
  await w.panel.waitFor({ state: 'hidden' });
  expect(await focusedInWidget(page)).toBe('bubble');
  expect(await w.bubble.getAttribute('aria-expanded')).toBe('false');
  // Enter on the bubble opens it again, on the input.
  await page.keyboard.press('Enter');
  await w.panel.waitFor();
  expect(await focusedInWidget(page)).toBe('savbot-input');
});

/** Contrast ratio (WCAG 2) of each kind of text: the last element matching its selector, against the first opaque
 * background behind it (a translucent text colour composited over it); its text too (to show it was there). */
function measureContrast(page: WatchedPage['page'], kinds: Record<string, string>) {
  return page.evaluate((kinds) => {
    const root = document.getElementById('savbot-widget')!.shadowRoot!;
    // Any CSS colour (rgb(), color(srgb ...), ...) as 8-bit sRGB and alpha in [0, 1], painted on a canvas pixel.
    const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
    const rgba = (c: string) => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = c;
      ctx.fillRect(0, 0, 1, 1);
      const [r = 0, g = 0, b = 0, a = 0] = ctx.getImageData(0, 0, 1, 1).data;
      return [r, g, b, a / 255] as const; // getImageData is not premultiplied
    };
    const lum = ([r, g, b]: readonly number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (e: Element | null): readonly number[] => {
      for (; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] !== 0) return c;
      }
      return [255, 255, 255, 1];
    };
    const out: Record<string, { ratio: number; text: string; visible: boolean }> = {};
    for (const [kind, selector] of Object.entries(kinds)) {
      const [sel, pseudo] = selector.split('::');
      const found = root.querySelectorAll(sel!);
      const e = found[found.length - 1] as HTMLElement | undefined;
      if (!e) continue;
      const bg = background(e);
      const [r, g, b, a] = rgba(getComputedStyle(e, pseudo ? `::${pseudo}` : null).color);
      const mixed = [r, g, b].map((v, i) => v * a + bg[i]! * (1 - a));
      const [l1, l2] = [lum(mixed), lum(bg)];
      out[kind] = {
        ratio: Math.round(((Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05)) * 100) / 100,
        text:
          e instanceof HTMLTextAreaElement
            ? pseudo === 'placeholder'
              ? e.placeholder
              : e.value
            : (e.textContent ?? '').trim(),
        visible: e.getClientRects().length > 0,
      };
    }
    return out;
  }, kinds);
}

test('accessibility basics: labelled controls, a live log, the language of the page, WCAG AA text contrast', async () => {
  const run = await demoPage({ viewport: { width: 390, height: 844 } });
  const w = widget(run.page);
  await w.bubble.click();
  await say(run, 'bonjour');
  await w.buttons.first().waitFor();
  const a11y = await run.page.evaluate(() => {
    const root = document.getElementById('savbot-widget')!.shadowRoot!;
    const input = root.getElementById('savbot-input')!;
    const label = root.querySelector(`label[for="${input.id}"]`)?.textContent;
    const log = root.querySelector('[role="log"]')!;
    const dialog = root.querySelector('[role="dialog"]')!;
    return {
      label,
      live: log.getAttribute('aria-live'),
      dialogLabel: root.getElementById(dialog.getAttribute('aria-labelledby')!)?.textContent,
      lang: (root.querySelector('.root') as HTMLElement).lang,
      unlabelled: [...root.querySelectorAll('button')].filter(
        (b) => !(b.getAttribute('aria-label') || b.textContent?.trim()),
      ).length,
    };
  });
  expect(a11y).toEqual({
    label: 'Votre message',
    live: 'polite',
    dialogLabel: 'Maison Volta · SAV',
    lang: 'fr',
    unlabelled: 0,
  });

  // Every kind of text the widget shows, each measured in a state where it is on screen.
  const contrast: Record<string, { ratio: number; text: string; visible: boolean }> = {};
  const measure = async (kinds: Record<string, string>) =>
    Object.assign(contrast, await measureContrast(run.page, kinds));
  // The bot's answer with its buttons; the empty message box shows its placeholder.
  await measure({
    'panel title': 'header h2',
    'close button': 'header .close',
    intro: '.intro',
    'bot message': '.msg.bot .body',
    'bot message time': '.msg.bot .meta',
    'suggestion button': '.suggestions button',
    'message box placeholder': 'textarea::placeholder',
    'send button': '.send',
  });
  // A customer message with a link; then typed text in the message box.
  await say(run, 'Ma commande : https://shop.example/commande/MV-4821937');
  await measure({
    'customer message': '.msg.customer .body',
    'customer message link': '.msg.customer .body a',
    'customer message time': '.msg.customer .meta',
  });
  await w.input.fill('une question');
  await measure({ 'message box text': 'textarea' });
  await w.input.fill('');
  // Queued for a person: the queue line.
  await say(run, 'je veux parler à un conseiller');
  await w.status.filter({ hasText: /dans la file d'attente/ }).waitFor();
  await measure({ 'queue line': '.status' });
  // A person: the typing line, then an agent message with a link, signed with the agent's name.
  const id = await conversationId(run);
  await server.agent({ type: 'agent.joined', conversationId: id, agent: { name: 'Marie' } });
  await w.status.filter({ hasText: 'Vous discutez avec Marie' }).waitFor();
  await server.agent({ type: 'agent.typing', conversationId: id, agent: { name: 'Marie' } });
  await w.typing.filter({ hasText: 'Marie écrit…' }).waitFor();
  await measure({ 'typing line': '.typing' });
  await server.agent({
    type: 'agent.message',
    conversationId: id,
    text: 'Suivi de votre dossier : https://shop.example/suivi?n=R-205340',
    agent: { name: 'Marie' },
  });
  await w.agentMessages.filter({ hasText: 'Suivi de votre dossier' }).waitFor();
  await measure({
    'agent message': '.msg.agent .body',
    'agent message link': '.msg.agent .body a',
    'agent name and time': '.msg.agent .meta',
  });
  // Closed: the unread count on the bubble.
  await w.panel.locator('header .close').click();
  await w.panel.waitFor({ state: 'hidden' });
  await server.agent({ type: 'agent.message', conversationId: id, text: 'Êtes-vous là ?', agent: { name: 'Marie' } });
  await run.page.locator('#savbot-widget .badge').filter({ hasText: '1' }).waitFor();
  await measure({ 'unread count': '.badge' });
  await server.agent({ type: 'handoff.completed', conversationId: id });

  const kinds = [
    'panel title',
    'close button',
    'intro',
    'bot message',
    'bot message time',
    'suggestion button',
    'message box placeholder',
    'send button',
    'customer message',
    'customer message link',
    'customer message time',
    'message box text',
    'queue line',
    'typing line',
    'agent message',
    'agent message link',
    'agent name and time',
    'unread count',
  ];
  expect(Object.keys(contrast).sort()).toEqual([...kinds].sort());
  for (const kind of kinds) {
    const { ratio, text, visible } = contrast[kind]!;
    // On failure the ratio shows instead of `true`.
    expect({ kind, shown: visible && text.length > 0, aa: ratio >= 4.5 || ratio }).toEqual({
      kind,
      shown: true,
      aa: true,
    });
  }
});

test('reconnect: the stream drops while offline, an agent writes meanwhile; back online the message shows exactly once', async () => {
  const run = await demoPage();
  const { page, context } = run;
  const w = widget(page);
  await w.bubble.click();
  await say(run, 'je veux parler à un conseiller');
  await w.status.filter({ hasText: /dans la file/ }).waitFor();
  const id = await conversationId(run);
  await server.agent({
    type: 'agent.message',
    conversationId: id,
    text: 'Premier message de Marie.',
    agent: { name: 'Marie' },
  });
  await w.agentMessages.first().waitFor();

  await context.setOffline(true);
  server.dropConnections();
  await w.status.filter({ hasText: 'Connexion perdue, reconnexion…' }).waitFor();
  await server.agent({
    type: 'agent.message',
    conversationId: id,
    text: 'Message envoyé pendant la coupure.',
    agent: { name: 'Marie' },
  });
  await context.setOffline(false);
  await w.withText('Message envoyé pendant la coupure.').waitFor();
  // A later message on the same stream: everything before it has arrived, so counts are final.
  await server.agent({
    type: 'agent.message',
    conversationId: id,
    text: 'Et un message après le retour.',
    agent: { name: 'Marie' },
  });
  await w.withText('Et un message après le retour.').waitFor();
  expect(await w.withText('Message envoyé pendant la coupure.').count()).toBe(1);

  // Online, the server drops the stream (a proxy timeout, a restart): EventSource reconnects by itself with
  // Last-Event-ID.
  server.dropConnections();
  await server.agent({
    type: 'agent.message',
    conversationId: id,
    text: 'Message pendant la reconnexion.',
    agent: { name: 'Marie' },
  });
  await w.withText('Message pendant la reconnexion.').waitFor();
  await server.agent({ type: 'agent.message', conversationId: id, text: 'Dernier message.', agent: { name: 'Marie' } });
  await w.withText('Dernier message.').waitFor();
  expect(await w.withText('Message pendant la reconnexion.').count()).toBe(1);
  const shown = await w.messages.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
  expect(shown).toEqual((await server.app.engine.transcript(id)).map((m) => m.id));
  await w.status.filter({ hasText: /Vous discutez avec Marie|dans la file/ }).waitFor();
});
