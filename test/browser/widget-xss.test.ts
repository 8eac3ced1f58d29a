/**
 * Hostile texts as customer messages, knowledge-base answers, button labels (entry titles) and agent messages,
 * through the real server and the widget in Chromium, each test on a fresh page in its own browser context: each
 * shows as literal text; no script runs, no dialog opens, no element is injected and
 * nothing is requested outside loopback.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { stringify } from 'yaml';
import { startAll } from '../support/app';
import { launchBrowser } from '../support/browser';
import { openWatchedPage, ROOT, startWidgetServer, widget, type WatchedPage, type WidgetServer } from './support';
import { XSS_PAYLOADS } from './xss-payloads';

/** A question that only entry `i` matches: two made-up words of its own. */
const letters = (i: number) => String.fromCharCode(97 + Math.floor(i / 26), 97 + (i % 26));
const question = (i: number) => `zorvex${letters(i)} plimquat${letters(i)}`;
/** The question of an entry that offers every hostile entry as a follow-up button (labelled with its title). */
const MENU = 'zorvexmenu plimquatmenu';

let server: WidgetServer;
let browser: Browser;
let current: WatchedPage | undefined;
/** The page of the running test. */
const run = (): WatchedPage => current!;
const kbDir = mkdtempSync(join(tmpdir(), 'savbot-xss-kb-'));

beforeAll(async () => {
  cpSync(join(ROOT, 'knowledge-base'), kbDir, { recursive: true });
  const entries: object[] = XSS_PAYLOADS.map((p, i) => ({
    id: `hostile-${i}`,
    kind: 'faq',
    title: { fr: p },
    questions: { fr: [question(i)] },
    answer: { fr: p },
  }));
  entries.push({
    id: 'hostile-menu',
    kind: 'faq',
    title: { fr: 'Menu piégé' },
    questions: { fr: [MENU] },
    answer: { fr: 'Choisissez :' },
    followUps: XSS_PAYLOADS.map((_, i) => `hostile-${i}`),
  });
  writeFileSync(
    join(kbDir, 'hostile.yaml'),
    stringify({ topic: 'hostile', title: { fr: 'Réponses piégées' }, entries }),
  );
  await startAll(
    async () => {
      server = await startWidgetServer({ KB_DIR: kbDir });
    },
    async () => {
      browser = await launchBrowser();
    },
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(kbDir, { recursive: true, force: true });
});

/** Each test on a fresh page in its own browser context (its own storage: a new conversation), the widget open. */
async function openWidget(): Promise<WatchedPage> {
  current = await openWatchedPage(browser);
  current.page.setDefaultTimeout(10_000);
  await current.page.goto(`${server.base}/`);
  await widget(current.page).bubble.click();
  // The panel opens with the greeting: counts of messages start after it.
  await widget(current.page).bot.first().waitFor();
  return current;
}

afterEach(async () => {
  const done = current;
  current = undefined;
  await done?.context.close();
});

/** What the message list holds, read in the page. */
async function inspect(): Promise<{
  messages: { from: string; text: string }[];
  tags: string[];
  links: { href: string; rel: string; target: string }[];
  handlers: number;
  xss: unknown;
}> {
  return run().page.evaluate(() => {
    const log = document.getElementById('savbot-widget')!.shadowRoot!.querySelector('.log')!;
    const all = [...log.querySelectorAll('*')];
    return {
      messages: [...log.querySelectorAll<HTMLElement>('.msg[data-id]')].map((m) => ({
        from: m.dataset.from!,
        text: m.querySelector('.body')!.textContent!,
      })),
      tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))].sort(),
      links: [...log.querySelectorAll('a')].map((a) => ({
        href: a.getAttribute('href')!,
        rel: a.rel,
        target: a.target,
      })),
      handlers: all.filter((e) =>
        [...e.attributes].some((a) => a.name.startsWith('on') || a.name === 'style' || a.name === 'src'),
      ).length,
      xss: (window as unknown as { __xss?: unknown }).__xss,
    };
  });
}

/** The page shows `shown` (these texts, each as a message from that side) as literal text, and nothing ran. */
async function expectHarmless(shown: Partial<Record<'customer' | 'bot' | 'agent', readonly string[]>>): Promise<void> {
  const seen = await inspect();
  for (const [from, payloads] of Object.entries(shown))
    for (const p of payloads)
      expect({ from, payload: p, shown: seen.messages.some((m) => m.from === from && m.text === p) }).toEqual({
        from,
        payload: p,
        shown: true,
      });
  // Only what the widget itself makes: message boxes, who wrote them and when, buttons, the feedback question and
  // safe links.
  expect(seen.tags.filter((t) => !['a', 'button', 'div', 'p', 'span', 'time'].includes(t))).toEqual([]);
  for (const l of seen.links)
    expect(l).toEqual({ href: expect.stringMatching(/^https?:\/\//), rel: 'noopener noreferrer', target: '_blank' });
  expect(seen.handlers).toBe(0);
  expect(seen.xss).toBeUndefined();
  expect(run().seen).toEqual({ dialogs: [], errors: [] });
  expect(run().offLoopback).toEqual([]);
}

test(`at least 50 hostile payloads (${XSS_PAYLOADS.length})`, () => {
  expect(new Set(XSS_PAYLOADS).size).toBeGreaterThanOrEqual(50);
});

test('as knowledge-base answers: rendered as literal text', async () => {
  const w = widget((await openWidget()).page);
  for (let i = 0; i < XSS_PAYLOADS.length; i++) {
    const before = await w.bot.count();
    await w.input.fill(question(i));
    await w.input.press('Enter');
    await w.bot.nth(before).waitFor();
  }
  await expectHarmless({ bot: XSS_PAYLOADS });
});

test('as button labels (entry titles offered as follow-ups): literal text, after a reload too; a click sends the label', async () => {
  const { page } = await openWidget();
  const w = widget(page);
  const before = await w.bot.count();
  await w.input.fill(MENU);
  await w.input.press('Enter');
  await w.bot.nth(before).waitFor();
  await w.buttons.nth(XSS_PAYLOADS.length - 1).waitFor();
  expect(await w.buttons.allTextContents()).toEqual(XSS_PAYLOADS);
  await expectHarmless({ bot: ['Choisissez :'] });

  // Reloaded from GET .../messages: the same labels, as text.
  await page.reload();
  await w.buttons.nth(XSS_PAYLOADS.length - 1).waitFor({ state: 'attached' });
  expect(await w.buttons.allTextContents()).toEqual(XSS_PAYLOADS);
  await expectHarmless({ bot: ['Choisissez :'] });

  // A click: the label is the customer's message, the entry's (hostile) answer follows, both as text.
  await w.bubble.click();
  const i = XSS_PAYLOADS.indexOf('<img src=x onerror="window.__xss=1">');
  const sent = await w.customer.count();
  await w.buttons.nth(i).click();
  await w.customer.nth(sent).waitFor();
  await w.bot.nth(before + 1).waitFor();
  expect(await w.customer.nth(sent).locator('.body').textContent()).toBe(XSS_PAYLOADS[i]);
  expect(
    await w.bot
      .nth(before + 1)
      .locator('.body')
      .textContent(),
  ).toBe(XSS_PAYLOADS[i]);
  await expectHarmless({ customer: [XSS_PAYLOADS[i]!], bot: ['Choisissez :', XSS_PAYLOADS[i]!] });
});

test('as customer messages and as agent messages: rendered as literal text', async () => {
  const w = widget((await openWidget()).page);
  await w.input.fill('je veux parler à un conseiller');
  await w.input.press('Enter');
  await w.status.filter({ hasText: /dans la file/ }).waitFor();
  for (const p of XSS_PAYLOADS) {
    const before = await w.customer.count();
    await w.input.fill(p);
    await w.input.press('Enter');
    await w.customer.nth(before).waitFor();
  }
  await expectHarmless({ customer: XSS_PAYLOADS });

  const id = (
    JSON.parse(
      (await run().page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1]))!,
    ) as { conversationId: string }
  ).conversationId;
  for (const p of XSS_PAYLOADS)
    await server.agent({
      type: 'agent.message',
      conversationId: id,
      text: p,
      agent: { name: '<img src=x onerror=window.__xss=1>' },
    });
  await w.agentMessages.nth(XSS_PAYLOADS.length - 1).waitFor();
  await expectHarmless({ customer: XSS_PAYLOADS, agent: XSS_PAYLOADS });
  // The agent's hostile name is shown as text too.
  expect(await w.agentMessages.first().locator('.meta').textContent()).toMatch(
    /^<img src=x onerror=window.__xss=1> · /,
  );
});
