/**
 * Files in the website widget, in Chromium on the French demo page against the real server on loopback: a photo
 * through the file chooser (keyboard only) finishing the damaged-delivery dialog, its thumbnail opened full size; a
 * photo dropped on the panel with a hostile name (shown again after a reload), a pasted image; errors before the
 * upload and from the server (415, 413 over its own limit, 429 quota); a PDF chip that downloads the stored bytes;
 * the camera button on a phone; an agent's image.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { ACCEPT } from '../../src/channels/widget/client/attachments';
import { FILE_STRINGS, fileSize } from '../../src/channels/widget/client/attachStrings';
import { startAll } from '../support/app';
import { launchBrowser } from '../support/browser';
import {
  focusedInWidget,
  openWatchedPage,
  startWidgetServer,
  widget,
  type WatchedPage,
  type WidgetServer,
  closeWatchedPage,
} from './support';

const F = FILE_STRINGS.fr;
let server: WidgetServer;
let browser: Browser;
let current: WatchedPage | undefined;

beforeAll(async () => {
  await startAll(
    async () => {
      server = await startWidgetServer();
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

async function demoPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<WatchedPage> {
  current = await openWatchedPage(browser, options);
  current.page.setDefaultTimeout(10_000);
  await current.page.goto(`${server.base}/`);
  await widget(current.page).bubble.click();
  return current;
}

interface FilePayload {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

const jpeg = (width = 640, height = 480) =>
  sharp({ create: { width, height, channels: 3, background: { r: 150, g: 100, b: 50 } } })
    .jpeg()
    .toBuffer();
/** The smallest PDF the server takes (as in test/attachments/scenario.ts). */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
);
const png = () =>
  sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 20, g: 90, b: 200 } } })
    .png()
    .toBuffer();

/** The widget's file parts (Playwright's CSS pierces the shadow root). */
const files = (page: Page) => {
  const root = page.locator('#savbot-widget');
  return {
    attach: root.locator('button.attach'),
    camera: root.locator('button.camera'),
    tray: root.locator('.tray'),
    trayName: root.locator('.tray .name'),
    remove: root.locator('.tray .remove'),
    error: root.locator('.file-error'),
    thumbs: root.locator('.msg.customer[data-id] .thumb'),
    chips: root.locator('.msg.customer[data-id] .chip'),
    viewer: root.locator('.viewer'),
  };
};

async function choose(page: Page, file: FilePayload, how: 'click' | 'Enter' = 'click'): Promise<void> {
  const attach = files(page).attach;
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    how === 'click' ? attach.click() : attach.press('Enter'),
  ]);
  expect(chooser.isMultiple()).toBe(false);
  await chooser.setFiles(file);
}

/** A DataTransfer holding the file, made in the page (as the browser makes one for a real drag or paste). */
function transfer(page: Page, file: FilePayload) {
  return page.evaluateHandle(
    ({ b64, name, type }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      return dt;
    },
    { b64: file.buffer.toString('base64'), name: file.name, type: file.mimeType },
  );
}

async function conversation(run: WatchedPage): Promise<{ conversationId: string; token: string }> {
  const raw = await run.page.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('savbot:'))?.[1]);
  return JSON.parse(raw!) as { conversationId: string; token: string };
}

interface Stored {
  from: string;
  text: string;
  attachments?: { id: string; name: string; contentType: string; size: number }[];
}

async function stored(run: WatchedPage): Promise<Stored[]> {
  const c = await conversation(run);
  const res = await fetch(`${server.base}/api/conversations/${c.conversationId}/messages`, {
    headers: { authorization: `Bearer ${c.token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Stored[] }).messages;
}

async function say(page: Page, text: string, reply: string): Promise<void> {
  const w = widget(page);
  await w.input.fill(text);
  await w.input.press('Enter');
  await w.withText(reply).last().waitFor();
}

/** The loaded image of a thumbnail: its source scheme and natural size. */
const imageOf = (img: ReturnType<Page['locator']>) =>
  img.evaluate((e: HTMLImageElement) => ({ scheme: e.src.slice(0, 15), width: e.naturalWidth }));

test('a photo chosen with the keyboard finishes the damaged-delivery dialog; its thumbnail opens full size', async () => {
  const run = await demoPage();
  const { page } = run;
  const w = widget(page);
  const f = files(page);
  expect(await f.camera.count()).toBe(0); // no camera button on a desktop
  expect(await f.attach.getAttribute('aria-label')).toBe(F.attach);
  await say(page, 'mon colis est arrivé abîmé', 'numéro de la commande');
  await say(page, 'MV-4810044', 'photos du colis');

  // Keyboard only: Tab from the message box reaches the attach button, Enter opens the file chooser.
  await w.input.press('Tab');
  expect(await focusedInWidget(page)).toBe('icon attach');
  const photo = await jpeg();
  await choose(page, { name: 'colis.jpg', mimeType: 'image/jpeg', buffer: photo }, 'Enter');
  await f.trayName.waitFor();
  expect(await f.tray.textContent()).toContain(`colis.jpg${fileSize(photo.length, 'fr')}`);
  expect(await f.remove.getAttribute('aria-label')).toBe(F.remove('colis.jpg'));

  // The upload held back a moment, so its progress bar and spoken status can be seen.
  await page.route('**/attachments', async (route) => {
    await new Promise((r) => setTimeout(r, 400));
    await route.fallback();
  });
  await w.input.focus();
  await w.input.press('Enter');
  const progress = page.locator('#savbot-widget .tray progress');
  await progress.waitFor();
  expect(await progress.getAttribute('aria-label')).toBe(F.uploading('colis.jpg'));
  await f.thumbs.first().waitFor();
  await w.withText('Photo « colis.jpg » reçue.').waitFor(); // the bot acknowledges the file by its name
  expect(await f.tray.isHidden()).toBe(true);
  await page.waitForFunction(() => {
    const img = document.querySelector('#savbot-widget')?.shadowRoot?.querySelector('.thumb img');
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
  });
  expect(await imageOf(f.thumbs.first().locator('img'))).toEqual({ scheme: 'data:image/jpeg', width: 640 });
  const mine = (await stored(run)).filter((m) => m.attachments?.length);
  expect(mine).toEqual([
    expect.objectContaining({
      from: 'customer',
      text: '',
      attachments: [expect.objectContaining({ name: 'colis.jpg' })],
    }),
  ]);

  // Full size in the viewer; Escape closes the image (not the chat) and gives focus back to the thumbnail.
  expect(await f.thumbs.first().getAttribute('aria-label')).toBe(F.openImage('colis.jpg'));
  await f.thumbs.first().click();
  await f.viewer.waitFor();
  expect(await f.viewer.getAttribute('aria-label')).toBe('colis.jpg');
  expect(await imageOf(f.viewer.locator('img'))).toEqual({ scheme: 'data:image/jpeg', width: 640 });
  expect(await focusedInWidget(page)).toBe('close');
  await page.keyboard.press('Escape');
  expect(await f.viewer.isHidden()).toBe(true);
  expect(await w.panel.isVisible()).toBe(true);
  expect(await focusedInWidget(page)).toBe('thumb');

  // One photo is enough: "Continue" goes on to the next question.
  await w.buttons.filter({ hasText: 'Continuer' }).click();
  await w.withText('Décrivez le dommage').waitFor();
  await say(page, 'carton écrasé, porte du four enfoncée', 'CL-MV-4810044');
  await w.withText('Vos photos sont jointes à la déclaration : colis.jpg.').waitFor();
});

test('a photo dropped on the panel (hostile name, shown as text) goes with the text typed; a pasted image', async () => {
  const run = await demoPage();
  const { page } = run;
  const w = widget(page);
  const f = files(page);
  const name = "<img src=x onerror=alert(1)>colis'.png";
  const dt = await transfer(page, { name, mimeType: 'image/png', buffer: await png() });
  await w.panel.dispatchEvent('dragover', { dataTransfer: dt });
  expect(await w.panel.getAttribute('class')).toContain('dropping');
  await w.panel.dispatchEvent('drop', { dataTransfer: dt });
  expect(await f.trayName.textContent()).toBe(name);
  expect(await w.panel.getAttribute('class')).not.toContain('dropping');

  const botsBefore = await w.bot.count();
  await w.input.fill('voici la photo du colis');
  await w.input.press('Enter');
  await f.thumbs.first().waitFor();
  await w.bot.nth(botsBefore).waitFor(); // the bot answers the message with the file
  const customer = w.customer.last();
  expect(await customer.locator('.body').textContent()).toBe('voici la photo du colis');
  expect(await customer.locator('.thumb').getAttribute('aria-label')).toBe(F.openImage(name));
  expect(await customer.locator('.thumb img').getAttribute('alt')).toBe(name);
  // The name injected nothing: the only images in the widget are ours.
  expect(await page.locator('#savbot-widget img[onerror], #savbot-widget img[src="x"]').count()).toBe(0);
  const sent = (await stored(run)).find((m) => m.attachments?.length);
  expect(sent).toMatchObject({ text: 'voici la photo du colis', attachments: [{ name, contentType: 'image/png' }] });

  // A copied image pasted into the message box waits in the tray; removing it sends nothing.
  const clip = await transfer(page, { name: 'capture.png', mimeType: 'image/png', buffer: await png() });
  await w.input.evaluate((input, data) => {
    input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, clip);
  expect(await f.trayName.textContent()).toBe('capture.png');
  await f.remove.click();
  expect(await f.tray.isHidden()).toBe(true);
  expect(await w.input.inputValue()).toBe('');
  expect((await stored(run)).filter((m) => m.attachments?.length)).toHaveLength(1);

  // After a reload the history shows the photo again, fetched with the kept token.
  await page.reload();
  await w.bubble.click();
  await f.thumbs.first().waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('#savbot-widget')?.shadowRoot?.querySelector('.thumb img');
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth === 80;
  });
  expect(await f.thumbs.count()).toBe(1);
});

test('a wrong type or an oversized file is refused before upload, a disguised one by the server (415)', async () => {
  const run = await demoPage();
  const { page } = run;
  const w = widget(page);
  const f = files(page);
  await choose(page, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  expect(await f.error.textContent()).toBe(F.wrongType('notes.txt'));
  expect(await f.tray.isHidden()).toBe(true);
  expect(await f.error.getAttribute('role')).toBe('alert');

  const big = Buffer.alloc(10_485_761, 0xff);
  await choose(page, { name: 'grand.jpg', mimeType: 'image/jpeg', buffer: big });
  expect(await f.error.textContent()).toBe(F.tooLarge('grand.jpg', '10 Mo'));
  expect(await f.tray.isHidden()).toBe(true);

  // An HTML page named and declared as a JPEG passes the browser's check; the server reads the bytes.
  const page415 = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
  await choose(page, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: page415 });
  expect(await f.error.textContent()).toBe('');
  await w.input.fill('ma photo');
  await w.input.press('Enter');
  await page.waitForFunction(
    (text) => document.querySelector('#savbot-widget')?.shadowRoot?.querySelector('.file-error')?.textContent === text,
    F.wrongType('photo.jpg'),
  );
  expect(await f.tray.isHidden()).toBe(true);
  expect(await w.input.inputValue()).toBe('ma photo'); // the text is kept to send again
  const c = await conversation(run);
  expect(await server.app.attachments.list(c.conversationId)).toEqual([]);
  expect((await stored(run)).filter((m) => m.from === 'customer')).toEqual([]);
});

test('a PDF shows as a chip that downloads the stored file under its name', async () => {
  const run = await demoPage();
  const { page } = run;
  const f = files(page);
  await choose(page, { name: 'facture.pdf', mimeType: 'application/pdf', buffer: PDF });
  await widget(page).input.press('Enter');
  await f.chips.first().waitFor();
  expect(await f.chips.first().getAttribute('aria-label')).toBe(F.download('facture.pdf'));
  expect(await f.chips.first().textContent()).toBe(`PDFfacture.pdf${fileSize(PDF.length, 'fr')}`);
  const [download] = await Promise.all([page.waitForEvent('download'), f.chips.first().click()]);
  expect(download.suggestedFilename()).toBe('facture.pdf');
  expect(readFileSync((await download.path())!)).toEqual(PDF);
});

test('on a phone: a separate "take a photo" button opens the camera; the attach button does not', async () => {
  const run = await demoPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const f = files(run.page);
  await f.camera.waitFor();
  expect(await f.camera.getAttribute('aria-label')).toBe(F.camera);
  const inputs = await run.page
    .locator('#savbot-widget form input[type=file]')
    .evaluateAll((els) => els.map((e) => [e.getAttribute('accept'), e.getAttribute('capture')]));
  expect(inputs).toEqual([
    [ACCEPT, null],
    ['image/*', 'environment'],
  ]);
  const [chooser] = await Promise.all([run.page.waitForEvent('filechooser'), f.camera.tap()]);
  await chooser.setFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await jpeg(400, 300) });
  await widget(run.page).input.press('Enter');
  await f.thumbs.first().waitFor();
});

test("an agent's image shows as a thumbnail in the agent's message and opens full size", async () => {
  const run = await demoPage();
  const { page } = run;
  const w = widget(page);
  const f = files(page);
  await w.input.fill('je veux parler à un conseiller');
  await w.input.press('Enter');
  await w.status.filter({ hasText: /dans la file d'attente/ }).waitFor();
  const { conversationId } = await conversation(run);
  await server.agent({ type: 'agent.joined', conversationId, agent: { name: 'Marie' } });
  await server.agent({
    type: 'agent.message',
    conversationId,
    text: "Voici l'étiquette de retour.",
    agent: { name: 'Marie' },
    attachment: { data: (await png()).toString('base64'), name: 'etiquette.png', contentType: 'image/png' },
  });
  const thumb = w.agentMessages.locator('.thumb');
  await thumb.waitFor();
  expect(await w.agentMessages.last().locator('.body').textContent()).toBe("Voici l'étiquette de retour.");
  expect(await thumb.getAttribute('aria-label')).toBe(F.openImage('etiquette.png'));
  await thumb.click();
  await f.viewer.waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('#savbot-widget')?.shadowRoot?.querySelector('.viewer img');
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth === 80;
  });
  await f.viewer.locator('.close').click();
  expect(await f.viewer.isHidden()).toBe(true);
  expect(await focusedInWidget(page)).toBe('thumb');
});

test("the server's refusals in the visitor's words: over its own size limit (413), past the conversation's quota (429)", async () => {
  // A server stricter than the page knows: 100 KB per file, one file per conversation.
  const strict = await startWidgetServer({ ATTACHMENT_MAX_BYTES: '100000', ATTACHMENTS_PER_CONVERSATION: '1' });
  try {
    current = await openWatchedPage(browser);
    const { page } = current;
    page.setDefaultTimeout(10_000);
    await page.goto(`${strict.base}/`);
    const w = widget(page);
    const f = files(page);
    await w.bubble.click();
    const errorIs = (text: string) =>
      page.waitForFunction(
        (t) => document.querySelector('#savbot-widget')?.shadowRoot?.querySelector('.file-error')?.textContent === t,
        text,
      );
    // Noise compresses badly: a JPEG of about 200 KB.
    const noisy = await sharp(
      Buffer.alloc(300 * 300 * 3).map(() => Math.floor(Math.random() * 256)),
      {
        raw: { width: 300, height: 300, channels: 3 },
      },
    )
      .jpeg({ quality: 100 })
      .toBuffer();
    expect(noisy.length).toBeGreaterThan(100_000);
    await choose(page, { name: 'lourde.jpg', mimeType: 'image/jpeg', buffer: noisy });
    await w.input.press('Enter');
    await errorIs(F.tooLarge('lourde.jpg', fileSize(100_000, 'fr')));
    expect(await f.tray.isHidden()).toBe(true);

    await choose(page, { name: 'un.png', mimeType: 'image/png', buffer: await png() });
    await w.input.press('Enter');
    await f.thumbs.first().waitFor();
    await choose(page, { name: 'deux.png', mimeType: 'image/png', buffer: await png() });
    await w.input.press('Enter');
    await errorIs(F.tooMany);
    expect(await f.thumbs.count()).toBe(1);
  } finally {
    await current?.context.close();
    await strict.close();
  }
  const run = current!;
  current = undefined;
  expect(run.offLoopback).toEqual([]);
  expect(run.seen).toEqual({ dialogs: [], errors: [] });
});
