/**
 * The official Microsoft Web Chat (botframework-webchat's bundle, served by us) in Debian's Chromium, against the
 * real server process on loopback through our Direct Line endpoint: welcome, a question, a suggested action, a
 * person, an agent's signed message. What Web Chat shows is compared with what the engine answers (a reference
 * engine on the same knowledge base), not with hand-copied texts.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { buildCore } from '../../src/app';
import { loadConfig } from '../../src/config';
import { launchBrowser, loopbackContext, watchPage } from '../support/browser';
import { startBotProcess, stopProcess } from '../support/processes';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..', '..');
const AGENT_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-webchat-'));
let child: ChildProcess;
let base: string;
let browser: Browser;

/** A free loopback port, so that PUBLIC_URL (the base of the files' URLs on activities) can name the server. */
const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createNetServer().once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });

beforeAll(async () => {
  const port = await freePort();
  ({ child, base } = await startBotProcess({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    SQLITE_FILE: join(dataDir, 'bot.db'),
    DATABASE_URL: '',
    HANDOFF_WEBHOOK_URL: '',
    HANDOFF_TRIGGERS: '',
    AGENT_WEBHOOK_SECRET: AGENT_SECRET,
    LOG_LEVEL: 'info',
  }));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (child) await stopProcess(child, 'SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

/** The start of a text, enough to find its bubble (Web Chat may lay out line breaks its own way). */
const head = (text: string) => text.split('\n')[0]!.slice(0, 60);

async function botSays(page: Page, text: string): Promise<void> {
  await page
    .locator('.webchat__bubble:not(.webchat__bubble--from-user)', { hasText: head(text) })
    .last()
    .waitFor({ timeout: 15_000 });
}

async function send(page: Page, text: string): Promise<void> {
  const input = page.locator('[data-id="webchat-sendbox-input"]');
  await input.fill(text);
  await input.press('Enter');
  await page.locator('.webchat__bubble--from-user', { hasText: text }).last().waitFor({ timeout: 15_000 });
}

/**
 * What Web Chat sent and what came back: the clientActivityID of every activity it POSTs, and those of the
 * activities it receives (WebSocket stream, or GET when it polls). Web Chat marks a message sent only on that echo.
 */
function watchEchoes(page: Page): { sent: string[]; echoed: Set<string> } {
  const sent: string[] = [];
  const echoed = new Set<string>();
  const activities = /\/v3\/directline\/conversations\/[^/]+\/activities$/;
  const take = (payload: unknown) => {
    let body: { activities?: { channelData?: { clientActivityID?: string } }[] };
    try {
      body = JSON.parse(String(payload)) as typeof body;
    } catch {
      return; // the stream's empty keep-alive frames
    }
    for (const a of body?.activities ?? [])
      if (a.channelData?.clientActivityID) echoed.add(a.channelData.clientActivityID);
  };
  page.on('request', (r) => {
    if (r.method() !== 'POST' || !activities.test(new URL(r.url()).pathname)) return;
    const id = (r.postDataJSON() as { channelData?: { clientActivityID?: string } } | null)?.channelData
      ?.clientActivityID;
    sent.push(id ?? '(no clientActivityID)');
  });
  page.on('response', (r) => {
    if (r.request().method() === 'GET' && activities.test(new URL(r.url()).pathname))
      void r.text().then(take, () => undefined);
  });
  page.on('websocket', (ws) => ws.on('framereceived', (f) => take(f.payload)));
  return { sent, echoed };
}

/**
 * Every message the customer sent came back with its clientActivityID, and Web Chat shows it sent: its "sent"
 * status (the time) is on the last one, and none stays "sending" (or "send failed", shown in the same element).
 */
async function allSent(page: Page, watched: { sent: string[]; echoed: Set<string> }, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (watched.sent.length < count || watched.sent.some((id) => !watched.echoed.has(id))) {
    if (Date.now() > deadline)
      throw new Error(`not echoed back: ${JSON.stringify(watched.sent.filter((id) => !watched.echoed.has(id)))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(watched.sent).toHaveLength(count);
  await page.locator('.webchat__activity-status--self').last().waitFor({ timeout: 10_000 });
  await page.locator('.webchat__activity-status--sending').first().waitFor({ state: 'detached', timeout: 10_000 });
  expect(await page.locator('.webchat__activity-status--sending').count()).toBe(0);
}

test('Web Chat on our Direct Line: welcome, question, suggested action, a person and the agent reply', async () => {
  // The reference: the same knowledge base and dialogs, in memory.
  const ref = buildCore(
    loadConfig(
      { KB_DIR: join(ROOT, 'knowledge-base'), DIALOGS_DIR: join(ROOT, 'dialogs'), HANDOFF_TRIGGERS: '' },
      ROOT,
    ),
  ).engine;
  const refConv = (await ref.createConversation({ channel: 'directline' })).id;
  const [welcome] = await ref.welcome(refConv, 'fr');

  const { context, offLoopback } = await loopbackContext(browser, { locale: 'fr-FR' });
  const page = await context.newPage();
  const seen = watchPage(page);
  const echoes = watchEchoes(page);
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  const started = page.waitForResponse(
    (r) => r.url() === `${base}/v3/directline/conversations` && r.request().method() === 'POST',
  );
  await page.goto(`${base}/webchat.html`);
  const { conversationId } = (await (await started).json()) as { conversationId: string };

  // The welcome, with its buttons.
  await botSays(page, welcome!.text);

  // A question in French, answered as the engine answers it.
  const question = 'combien de temps dure la garantie ?';
  const [answer] = await ref.handle({ conversationId: refConv, channel: 'directline', text: question });
  await send(page, question);
  await botSays(page, answer!.text);

  // A suggested action (imBack with its label): clicking it gives what the button gives.
  const label = answer!.suggestions![0]!.label;
  const [afterClick] = await ref.handle({ conversationId: refConv, channel: 'directline', text: label });
  expect(afterClick!.source.kind).not.toBe('fallback');
  await page.locator('.webchat__suggested-action', { hasText: label }).first().click();
  await page.locator('.webchat__bubble--from-user', { hasText: label }).last().waitFor({ timeout: 15_000 });
  await botSays(page, afterClick!.text);

  // A person: the handoff answer, then an agent's signed message appears in Web Chat with the agent's name.
  const askPerson = 'je veux parler à un conseiller';
  const [handoff] = await ref.handle({ conversationId: refConv, channel: 'directline', text: askPerson });
  expect(handoff!.source.kind).toBe('handoff');
  await send(page, askPerson);
  await botSays(page, handoff!.text);
  const body = JSON.stringify({
    type: 'agent.message',
    conversationId,
    text: 'Bonjour, ici Marie du service client. Je regarde votre garantie.',
    agent: { name: 'Marie' },
  });
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const at = new Date();
  const res = await fetch(`${base}/api/agent/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(AGENT_SECRET).sign(id, at, body),
    },
    body,
  });
  expect(res.status).toBe(202);
  await botSays(page, 'Bonjour, ici Marie du service client. Je regarde votre garantie.');

  // What agents (and customers) write is shown as text, never as markup: the activity is textFormat "plain".
  const markup = '<img src=x onerror="alert(1)"> **gras** <b>b</b>';
  const body2 = JSON.stringify({ type: 'agent.message', conversationId, text: markup, agent: { name: 'Marie' } });
  const id2 = `msg_${randomBytes(8).toString('hex')}`;
  const res2 = await fetch(`${base}/api/agent/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id2,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(AGENT_SECRET).sign(id2, at, body2),
    },
    body: body2,
  });
  expect(res2.status).toBe(202);
  const shown = page.locator('.webchat__bubble', { hasText: '**gras**' }).last();
  await shown.waitFor({ timeout: 15_000 });
  expect(await shown.innerText()).toContain(markup);
  expect(await shown.locator('img, b, strong').count()).toBe(0);

  // Every message the customer sent came back with its clientActivityID, well before Web Chat's 20 s send timeout.
  expect(await page.locator('.webchat__bubble--from-user').count()).toBe(3);
  await allSent(page, echoes, 3);
  expect(offLoopback).toEqual([]);
  expect(seen.errors).toEqual([]);
  expect(seen.dialogs).toEqual([]);
  expect(consoleErrors.filter((e) => /directline|webchat|Failed to load|40[13]/i.test(e))).toEqual([]);
  await context.close();
});

test("the README's embedding snippet works from another site's origin (CORS), answer and echo included", async () => {
  // The snippet as documented, on a page served by another origin (localhost vs 127.0.0.1), the bot's URL swapped in.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /Embed it[^]*?```html\n([^]*?)```/.exec(readme)![1]!.split('https://bot.example.com').join(base);
  const site = createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!doctype html><html lang="fr"><body>${snippet}</body></html>`),
  );
  await new Promise<void>((ok) => site.listen(0, '127.0.0.1', ok));
  const sitePort = (site.address() as AddressInfo).port;
  const { context, offLoopback } = await loopbackContext(browser, { locale: 'fr-FR' });
  try {
    const page = await context.newPage();
    const seen = watchPage(page);
    const echoes = watchEchoes(page);
    await page.goto(`http://localhost:${sitePort}/`);
    await page.locator('.webchat__bubble:not(.webchat__bubble--from-user)').first().waitFor({ timeout: 15_000 });
    await send(page, 'où est mon colis ?');
    await page.locator('.webchat__bubble:not(.webchat__bubble--from-user)').nth(1).waitFor({ timeout: 15_000 });
    await allSent(page, echoes, 1);
    expect(new URL(page.url()).origin).not.toBe(base);
    expect(offLoopback).toEqual([]);
    expect(seen.errors).toEqual([]);
  } finally {
    await context.close();
    site.close();
  }
});

test("Web Chat's upload button: a photo goes through our Direct Line upload, the bot answers, the image is shown from our URL", async () => {
  const { context, offLoopback } = await loopbackContext(browser, { locale: 'fr-FR' });
  try {
    const page = await context.newPage();
    const seen = watchPage(page);
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.goto(`${base}/webchat.html`);
    const botBubbles = page.locator('.webchat__bubble:not(.webchat__bubble--from-user)');
    await botBubbles.first().waitFor({ timeout: 15_000 });
    const before = await botBubbles.count();

    const photo = await sharp({ create: { width: 120, height: 90, channels: 3, background: { r: 220, g: 90, b: 30 } } })
      .jpeg()
      .toBuffer();
    const uploaded = page.waitForResponse(
      (r) => /\/v3\/directline\/conversations\/[^/]+\/upload\?userId=/.test(r.url()) && r.request().method() === 'POST',
      { timeout: 20_000 },
    );
    await page
      .locator('input.webchat__upload-button--file-input')
      .setInputFiles({ name: 'colis.jpg', mimeType: 'image/jpeg', buffer: photo });
    // Web Chat 4.18 sends a chosen file at once, or with the next send (sendAttachmentOn "send"): either works.
    const sentAtOnce = await Promise.race([
      uploaded.then(() => true),
      new Promise((ok) => setTimeout(ok, 1500, false)),
    ]);
    if (!sentAtOnce) await page.locator('.webchat__send-button').click();
    const res = await uploaded;
    expect(res.status()).toBe(200);
    expect((await res.json()) as { id: string }).toEqual({ id: expect.stringMatching(/^\d+$/) });

    // The echo replaces Web Chat's local preview: the image comes from our signed URL and is loaded (CSP, CORP).
    const ours = page.locator(`.webchat__bubble--from-user img[src^="${base}/v3/directline/conversations/"]`);
    await ours.first().waitFor({ timeout: 15_000 });
    const src = (await ours.first().getAttribute('src'))!;
    expect(new URL(src).searchParams.get('sig')).toBeTruthy();
    await page.waitForFunction(
      (el) => {
        const img = el as unknown as { complete: boolean; naturalWidth: number };
        return img.complete && img.naturalWidth > 0;
      },
      await ours.first().elementHandle(),
      { timeout: 10_000 },
    );
    // The bot answered the message carrying the photo.
    await botBubbles.nth(before).waitFor({ timeout: 15_000 });

    expect(offLoopback).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(consoleErrors.filter((e) => /directline|webchat|Failed to load|Content Security|40[13]/i.test(e))).toEqual(
      [],
    );
  } finally {
    await context.close();
  }
});
