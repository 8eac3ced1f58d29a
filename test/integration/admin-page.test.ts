/**
 * The admin page in a real browser (Debian's Chromium through playwright-core) against the real app on loopback:
 * log in, see the figures and the unanswered inbox built from real conversations, dismiss a group. The browser
 * context refuses every non-loopback request (the page must work offline) and the test fails on page errors or
 * dialogs (customer text must never run as HTML).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import type { Browser } from 'playwright-core';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { launchBrowser, loopbackContext, watchPage } from '../support/browser';
import { listenOnLoopback } from '../support/processes';

const ROOT = resolve(__dirname, '..', '..');
const TOKEN = 'editor-token-for-the-browser';
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-admin-page-'));
let app: Awaited<ReturnType<typeof buildApp>>;
let base: string;
let closeServer: () => Promise<void>;
/** The same app behind test-only stubs of the entries and try endpoints (built on another branch). */
let stubbedBase: string;
let closeStubbed: () => Promise<void>;
const stubCalls: { path: string; body: unknown }[] = [];
let browser: Browser;

const INJECTED = '<img src=x onerror="alert(1)"> ça marche ?';

async function conversation(...texts: string[]): Promise<string[]> {
  const created = (await (await fetch(`${base}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lang: 'fr' }) })).json()) as {
    conversationId: string;
    token: string;
  };
  const kinds: string[] = [];
  for (const text of texts) {
    const res = await fetch(`${base}/api/conversations/${created.conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${created.token}` },
      body: JSON.stringify({ text }),
    });
    const body = (await res.json()) as { replies: { source: { kind: string } }[] };
    kinds.push(body.replies[0]!.source.kind);
  }
  return kinds;
}

beforeAll(async () => {
  app = await buildApp(
    loadConfig({
      ...process.env,
      LOG_LEVEL: 'silent',
      KB_DIR: join(ROOT, 'knowledge-base'),
      DIALOGS_DIR: join(ROOT, 'dialogs'),
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: '',
      SQLITE_FILE: join(dataDir, 'bot.db'),
      HANDOFF_WEBHOOK_URL: '',
      ADMIN_TOKENS: `eve:editor:${TOKEN}`,
    }),
  );
  ({ base, close: closeServer } = await listenOnLoopback(app.http));
  ({ base: stubbedBase, close: closeStubbed } = await listenOnLoopback(withStubs(app.http)));
  browser = await launchBrowser();
  // Real conversations: one answered; the same unknown question asked in two conversations, and one with markup
  // in it, each getting the honest fallback.
  expect(await conversation('Quelle est la durée de la garantie ?')).toEqual(['faq']);
  expect(await conversation('Le zorglub est-il compatible ?')).toEqual(['fallback']);
  expect(await conversation('zorglub compatible avec mon four ?')).toEqual(['fallback']);
  expect(await conversation(INJECTED)).toEqual(['fallback']);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await closeServer();
  await closeStubbed();
  await app.store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('log in, see the figures and the grouped unanswered question, dismiss it', async () => {
  const { context, offLoopback } = await loopbackContext(browser);
  const page = await context.newPage();
  const seen = watchPage(page);
  try {
    await page.goto(`${base}/admin`);
    // A wrong token is refused and nothing else is shown.
    await page.getByTestId('login-token').fill('not-the-right-token-at-all');
    await page.getByTestId('login-submit').click();
    await expectText(page.getByTestId('login-error'), 'This token is not valid.');
    expect(await page.locator('#app').isHidden()).toBe(true);

    await page.getByTestId('login-token').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    // Four conversations, one resolved by the bot (the warranty answer): 25.0 %.
    await expectText(page.getByTestId('fig-conversations').locator('.value'), '4');
    await expectText(page.getByTestId('fig-bot-rate').locator('.value'), '25.0 %');
    expect(await page.getByTestId('chart-days').locator('svg rect').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('chart-replies').locator('svg').getAttribute('aria-label')).toContain('fallback 3');
    await expectText(page.getByTestId('figures-unanswered').locator('li').first(), /^2× zorglub compatible avec mon four \? \(fr\)$/);

    // From the keyboard: arrow right from "Figures" opens "Unanswered".
    await page.getByRole('tab', { name: 'Figures' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Unanswered' }).getAttribute('aria-selected')).toBe('true');
    const groups = page.getByTestId('inbox-group');
    await groups.first().waitFor();
    expect(await groups.count()).toBe(2);
    // The two zorglub questions are one group (most frequent first), newest example first.
    const zorglub = groups.first();
    expect(await zorglub.locator('.meta').first().textContent()).toMatch(/^2× · fr · fallback 2 · last /);
    expect(await zorglub.getByTestId('inbox-example').locator('q').allTextContents()).toEqual(['zorglub compatible avec mon four ?', 'Le zorglub est-il compatible ?']);
    // The markup is shown as the text the customer typed, not run.
    expect(await groups.nth(1).getByTestId('inbox-example').locator('q').allTextContents()).toEqual([INJECTED]);
    expect(await page.locator('img').count()).toBe(0);

    await zorglub.getByTestId('inbox-dismiss').click();
    await expectText(page.getByTestId('inbox-status'), 'Dismissed: “zorglub compatible avec mon four ?”.');
    expect(await groups.count()).toBe(1);
    expect(await groups.first().getByTestId('inbox-example').locator('q').allTextContents()).toEqual([INJECTED]);

    // The token stays for the session: a reload shows the page, and the dismissed group stays gone.
    await page.reload();
    await expectText(page.getByTestId('fig-conversations').locator('.value'), '4');
    await page.getByRole('tab', { name: 'Unanswered' }).click();
    await groups.first().waitFor();
    expect(await groups.count()).toBe(1);
    await groups.first().getByTestId('inbox-handled').click();
    await page.getByTestId('inbox-status').waitFor();
    expect(await groups.count()).toBe(0);
    expect((await app.store.inboxMarks()).map((m) => [m.state, m.by]).sort()).toEqual([['dismissed', 'eve'], ['handled', 'eve']]);

    await page.getByTestId('logout').click();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.getByTestId('login-token').isVisible()).toBe(true);

    expect(seen.errors).toEqual([]);
    expect(seen.dialogs).toEqual([]);
    expect(offLoopback).toEqual([]);
  } finally {
    await context.close();
  }
}, 60_000);

/** Wait until the element's text is `text` or matches it (the page fills it asynchronously). */
async function expectText(locator: import('playwright-core').Locator, text: string | RegExp): Promise<void> {
  await locator.waitFor();
  const [source, flags] = typeof text === 'string' ? [null, ''] : [text.source, text.flags];
  await locator.page().waitForFunction(
    ([el, t, re, f]) => (re === null ? (el as { textContent: string | null }).textContent === t : new RegExp(re, f).test((el as { textContent: string | null }).textContent ?? '')),
    [await locator.elementHandle(), typeof text === 'string' ? text : '', source, flags] as const,
    { timeout: 10_000 },
  ).catch(async () => {
    throw new Error(`expected text ${JSON.stringify(text)}, got ${JSON.stringify(await locator.textContent())}`);
  });
}

/**
 * Test-only stubs of the entries and try endpoints, with the contract the page relies on (the real ones are built
 * on another branch): entries list, add a sample question (409 REGRESSION unless forced), try a question.
 */
function withStubs(inner: express.Express): express.Express {
  const entry = (id: string, topic: string, fr: string) => ({ id, topic, file: `knowledge-base/${topic}.yaml`, kind: 'faq', title: { fr, ro: fr, en: fr }, questions: { fr: [`${fr} ?`], ro: [], en: [] }, answer: { fr: '…', ro: '…', en: '…' } });
  const entries = [entry('warranty-coverage', 'warranty', 'Garantie'), entry('delivery-delay', 'delivery', 'Retard de livraison')];
  const outer = express();
  outer.use(express.json());
  outer.use('/api/admin', (req, res, next) => (req.get('authorization') === `Bearer ${TOKEN}` ? next() : res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'no' } })));
  outer.get('/api/admin/entries', (_req, res) => void res.json({ entries }));
  outer.post('/api/admin/entries/:id/questions', (req, res) => {
    stubCalls.push({ path: req.path, body: req.body });
    if (!req.body.force)
      return void res.status(409).json({ error: { code: 'REGRESSION', message: 'the change would break 1 sample question', details: [{ question: 'Garantie ?', lang: 'fr', expected: 'warranty-coverage', got: 'delivery-delay' }] } });
    res.json({ entry: entries[0], version: 'v2' });
  });
  outer.put('/api/admin/entries/:id', (req, res) => {
    stubCalls.push({ path: req.path, body: req.body });
    if (!req.body.answer)
      return void res.status(422).json({ error: { code: 'INVALID_CONTENT', message: 'invalid content', details: [{ file: 'knowledge-base/warranty.yaml', line: 12, column: 5, path: 'entries[0].answer.ro', message: 'must not be empty' }] } });
    res.json({ entry: { ...entries[0], title: { ...entries[0]!.title, ro: req.body.title } }, version: 'v3' });
  });
  outer.get('/api/admin/status', (_req, res) => {
    res.json({ version: 'v3', publishedAt: '2026-11-25T10:00:00.000Z', lastError: { at: '2026-11-25T10:05:00.000Z', issues: [{ file: 'knowledge-base/delivery.yaml', line: 3, column: 1, path: 'entries', message: 'expected a list' }] } });
  });
  outer.post('/api/admin/try', (req, res) => {
    stubCalls.push({ path: req.path, body: req.body });
    res.json({ lang: 'fr', decision: 'answer', match: { id: 'warranty-coverage', title: 'Garantie', confidence: 0.91 }, runnerUp: { id: 'delivery-delay', title: 'Retard de livraison', confidence: 0.12 } });
  });
  outer.use(inner);
  return outer;
}

test('against stubs of the entries API: add an inbox message to an entry, try a question, edit an entry, reload status', async () => {
  expect(await conversation('frobnicateur bidule ?')).toEqual(['fallback']);
  const { context, offLoopback } = await loopbackContext(browser);
  const page = await context.newPage();
  const seen = watchPage(page);
  try {
    await page.goto(`${stubbedBase}/admin`);
    await page.getByTestId('login-token').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    await page.getByRole('tab', { name: 'Unanswered' }).click();
    const group = page.getByTestId('inbox-group').filter({ hasText: 'frobnicateur bidule ?' });
    await group.waitFor();
    await group.getByTestId('inbox-entry-select').selectOption('warranty-coverage');
    await group.getByTestId('inbox-add').click();
    // A regression is reported with the question it would break; the editor may add anyway.
    await expectText(group.getByRole('alert'), /would break 1 sample question[^]*\[fr\] "Garantie \?" would go to delivery-delay instead of warranty-coverage/);
    await group.getByTestId('inbox-add-force').click();
    await expectText(page.getByTestId('inbox-status'), '“frobnicateur bidule ?” added to warranty-coverage (fr, version v2); group marked handled.');
    expect(await group.count()).toBe(0);
    expect(stubCalls).toEqual([
      { path: '/api/admin/entries/warranty-coverage/questions', body: { lang: 'fr', question: 'frobnicateur bidule ?' } },
      { path: '/api/admin/entries/warranty-coverage/questions', body: { lang: 'fr', question: 'frobnicateur bidule ?', force: true } },
    ]);
    // The group is marked handled under its key terms (stems: "bidule" -> "bidul").
    expect((await app.store.inboxMarks()).some((m) => m.state === 'handled' && m.terms.includes('bidul') && m.by === 'eve')).toBe(true);

    await page.getByRole('tab', { name: 'Try a question' }).click();
    await page.getByTestId('try-text').fill('garantie de mon frigo');
    await page.getByTestId('try-submit').click();
    await expectText(page.getByTestId('try-match'), 'Garantie (warranty-coverage), confidence 0.91');
    await expectText(page.getByTestId('try-runner-up'), 'Retard de livraison (delivery-delay), confidence 0.12');
    expect(await page.getByTestId('try-decision').textContent()).toBe('answer');
    expect(stubCalls[2]).toEqual({ path: '/api/admin/try', body: { text: 'garantie de mon frigo' } });

    // Entries by topic, edited in Romanian: a content error is shown with its place, then the save goes through.
    await page.getByRole('tab', { name: 'Entries' }).click();
    await page.locator('#entries-form select[name=lang]').selectOption('ro');
    const warranty = page.locator('[data-testid=entry][data-id=warranty-coverage]');
    await warranty.waitFor();
    expect(await page.locator('#entries-list summary').allTextContents()).toEqual(['warranty (1)', 'delivery (1)']);
    await warranty.getByTestId('entry-edit').click();
    const editor = page.getByTestId('entry-editor');
    await editor.getByTestId('editor-title').fill('Garanție');
    await editor.getByTestId('editor-questions').fill('cât durează garanția?\ngaranție frigider');
    expect(await editor.getByTestId('editor-answer').inputValue()).toBe('…');
    await editor.getByTestId('editor-answer').fill('');
    await editor.getByTestId('editor-save').click();
    await expectText(editor.getByRole('alert'), 'invalid content (INVALID_CONTENT)\nknowledge-base/warranty.yaml:12:5: entries[0].answer.ro: must not be empty');
    await editor.getByTestId('editor-answer').fill('Garanția este de 2 ani.');
    await editor.getByTestId('editor-save').click();
    await expectText(page.getByTestId('entries-status'), 'Saved warranty-coverage (version v3).');
    expect(stubCalls.slice(3)).toEqual([
      { path: '/api/admin/entries/warranty-coverage', body: { lang: 'ro', title: 'Garanție', questions: ['cât durează garanția?', 'garanție frigider'], answer: '' } },
      { path: '/api/admin/entries/warranty-coverage', body: { lang: 'ro', title: 'Garanție', questions: ['cât durează garanția?', 'garanție frigider'], answer: 'Garanția este de 2 ani.' } },
    ]);

    // The reload status with the last error's place.
    await page.getByRole('tab', { name: 'Content status' }).click();
    await expectText(page.getByTestId('status-version'), 'v3');
    await expectText(page.getByTestId('status-issues').locator('li'), 'knowledge-base/delivery.yaml:3:1: entries: expected a list');

    expect(seen.errors).toEqual([]);
    expect(seen.dialogs).toEqual([]);
    expect(offLoopback).toEqual([]);
  } finally {
    await context.close();
  }
}, 60_000);
