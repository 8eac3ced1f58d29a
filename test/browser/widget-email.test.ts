/**
 * Continuing by email in the website widget, in Debian's Chromium on the demo page, against the real server on
 * loopback and a real SMTP server: the offer after hours, its buttons, the consent notice, the address; then, the
 * page closed, an agent's reply arrives by mail, and the mail's link opened in a new browser (nothing saved) brings
 * the customer back to the conversation.
 */
import type { Browser } from 'playwright-core';
import { tokenHash } from '../../src/channels/auth';
import { STRINGS } from '../../src/channels/widget/client/strings';
import { EMAIL_MESSAGES } from '../../src/engine/emailMessages';
import { startAll } from '../support/app';
import { launchBrowser } from '../support/browser';
import { Inbox } from '../support/smtp';
import {
  closeWatchedPage,
  hoursAroundNow,
  openWatchedPage,
  startWidgetServer,
  widget,
  type WidgetServer,
} from './support';

type Conv = { conversationId: string };

let server: WidgetServer;
let browser: Browser;
const inbox = new Inbox();

beforeAll(async () => {
  await inbox.start();
  await startAll(
    async () => {
      server = await startWidgetServer({
        HANDOFF_HOURS: hoursAroundNow(false),
        SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
        MAIL_FROM: 'Maison Volta <sav@maison-volta.example>',
        HANDOFF_EMAIL_GRACE_MS: '0',
      });
    },
    async () => {
      browser = await launchBrowser();
    },
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await inbox.stop();
});

test('after hours: continue by email with the buttons, give the address, get the agent reply by mail', async () => {
  const run = await openWatchedPage(browser);
  let conversationId: string;
  try {
    const { page } = run;
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.base}/`);
    const w = widget(page);
    await w.bubble.click();
    await w.input.fill('je veux parler à un conseiller');
    await w.input.press('Enter');
    const m = EMAIL_MESSAGES.fr;
    await w.withText(m.offer(true)).waitFor();
    expect(await w.buttons.allTextContents()).toEqual([m.continueButton, m.waitButton, 'Annuler la demande']);
    await w.buttons.filter({ hasText: m.continueButton }).click();
    await w.withText(m.askAddress('replies')).waitFor();
    await w.input.fill('claire.durand@exemple.fr');
    await w.input.press('Enter');
    await w.withText(m.confirmReplies('claire.durand@exemple.fr')).waitFor();
    const raw = await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1]);
    conversationId = (JSON.parse(raw!) as { conversationId: string }).conversationId;
  } finally {
    // The customer leaves: the page and its event stream close.
    await closeWatchedPage(run);
  }
  const state = await server.app.engine.getConversation(conversationId);
  expect(state?.email).toMatchObject({ address: 'claire.durand@exemple.fr', replies: true });
  expect(state?.handoff?.status).toBe('queued');

  // The stream's end reaches the server on its own time: wait until it counts no stream since now.
  for (let i = 0; i < 200 && server.app.streams.limits.seenSince(conversationId, Date.now()); i++)
    await new Promise((r) => setTimeout(r, 25));
  expect(server.app.streams.limits.seenSince(conversationId, Date.now())).toBe(false);
  await server.agent({
    type: 'agent.message',
    conversationId,
    text: 'Votre avoir est validé.',
    agent: { name: 'Luc' },
  });
  expect(await server.app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
  const [mail] = await inbox.mails();
  expect(inbox.raw).toHaveLength(1);
  expect(mail!.to).toMatchObject({ value: [{ address: 'claire.durand@exemple.fr' }] });
  expect(mail!.text).toContain('Luc vous a répondu :');
  expect(mail!.text).toContain('Votre avoir est validé.');

  // The mail read on another device: its link in a new browser context (empty localStorage).
  const mailed = new URL(/http:\/\/\S+\?conversation=\S+/.exec(mail!.text ?? '')![0]);
  // PUBLIC_URL is the configured one; the page is served on this test's loopback port.
  const link = `${server.base}/${mailed.search}#chat`;
  const phone = await openWatchedPage(browser);
  try {
    const { page } = phone;
    page.setDefaultTimeout(10_000);
    await page.goto(link);
    const w = widget(page);
    // Opened on the conversation, the agent's reply and the customer's earlier messages in it.
    await w.withText('Votre avoir est validé.').waitFor();
    expect(await w.panel.isVisible()).toBe(true);
    expect(await w.customer.allTextContents()).toContainEqual(expect.stringContaining('claire.durand@exemple.fr'));
    // The link is taken off the address bar (the page's other parts kept).
    expect(page.url()).toBe(`${server.base}/#chat`);
    const saved = await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1]);
    expect(JSON.parse(saved!)).toMatchObject({ conversationId });
    await w.input.fill('Merci, je vois la réponse sur mon téléphone.');
    await w.input.press('Enter');
    await w.customer.filter({ hasText: 'Merci, je vois la réponse sur mon téléphone.' }).waitFor();
  } finally {
    await closeWatchedPage(phone);
  }
  // The agents get the answer (the handoff's outbox: conversation.message from the customer).
  const events = await server.app.store.events(conversationId);
  const told = events.filter((e) => e.type === 'conversation.message').map((e) => e.body);
  expect(told.some((b) => b.includes('Merci, je vois la réponse sur mon téléphone.'))).toBe(true);
});

test('an expired or altered link: a short message in the page, and the widget starts afresh', async () => {
  const run = await openWatchedPage(browser);
  try {
    const { page } = run;
    page.setDefaultTimeout(10_000);
    const expires = Math.floor(Date.now() / 1000) + 3600;
    await page.goto(`${server.base}/?conversation=00000000-0000-4000-8000-000000000000&expires=${expires}&sig=forged`);
    const w = widget(page);
    await w.panel.locator('.msg.limited').filter({ hasText: STRINGS.fr.linkFailed }).waitFor();
    expect(page.url()).toBe(`${server.base}/`);
    // A new conversation, as on a first opening: its greeting comes and the customer can write.
    await w.bot.first().waitFor();
    await w.input.fill('ma commande est en retard');
    await w.input.press('Enter');
    await w.customer.filter({ hasText: 'ma commande est en retard' }).waitFor();
    const saved = await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1]);
    expect((JSON.parse(saved!) as { conversationId: string }).conversationId).not.toBe(
      '00000000-0000-4000-8000-000000000000',
    );
  } finally {
    await closeWatchedPage(run);
  }
});

test('the device that had the conversation, once a link resumed it elsewhere: a clean widget, then a new conversation', async () => {
  const run = await openWatchedPage(browser);
  try {
    const { page } = run;
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.base}/`);
    const w = widget(page);
    await w.bubble.click();
    await w.input.fill('Quelle est la durée de la garantie ?');
    await w.input.press('Enter');
    await w.bot
      .filter({ hasText: /garantie/i })
      .first()
      .waitFor();
    const first = (JSON.parse((await page.evaluate(() => Object.values(localStorage)[0]))!) as Conv).conversationId;
    // Another device traded the mail's link for a token: this one's is no longer the conversation's.
    await server.app.engine.resumeConversation(first, tokenHash('the other device'));
    await w.input.fill('Comment suivre ma commande ?');
    await w.input.press('Enter');
    await w.customer.filter({ hasText: 'Comment suivre ma commande ?' }).waitFor();
    // The old conversation is off the screen; the message went to a new one, which answered it.
    await w.withText('Quelle est la durée de la garantie ?').waitFor({ state: 'detached' });
    const second = (JSON.parse((await page.evaluate(() => Object.values(localStorage)[0]))!) as Conv).conversationId;
    expect(second).not.toBe(first);
    const transcript = await server.app.store.transcript(second);
    expect(transcript.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual([
      'Comment suivre ma commande ?',
    ]);
    expect((await server.app.store.transcript(first)).map((m) => m.text)).not.toContain('Comment suivre ma commande ?');
  } finally {
    await closeWatchedPage(run);
  }
});
