/**
 * Continuing by email in the website widget, in Debian's Chromium on the demo page, against the real server on
 * loopback and a real SMTP server: the offer after hours, its buttons, the consent notice, the address; then, the
 * page closed, an agent's reply arrives by mail.
 */
import type { Browser } from 'playwright-core';
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
});
