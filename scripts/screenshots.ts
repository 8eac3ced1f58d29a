/**
 * Screenshots of the widget on the demo page for the README (docs/widget-desktop.png 1280x800,
 * docs/widget-mobile.png 390x844): the real server on loopback (temp SQLite file), Debian's Chromium, a short
 * conversation with the panel open; and the same viewports with a photo of a damaged parcel sent in the
 * damaged-delivery dialog (docs/widget-photo-desktop.png, docs/widget-photo-mobile.png, a phone with touch: the
 * camera button shows); the agent desk at /agent (docs/screenshots/agent-*.png, ./screenshotsDesk.ts).
 * Usage: npm run screenshots
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator } from 'playwright-core';
import sharp from 'sharp';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { launchBrowser, loopbackContext } from '../test/support/browser';
import { listenOnLoopback } from '../test/support/processes';
import { deskScreenshots } from './screenshotsDesk';

const ROOT = resolve(__dirname, '..');

/** A photo of a crushed parcel, drawn (no outside file): a cardboard box, its tape, a dent and a tear. */
function parcelPhoto(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900">
<rect width="1200" height="900" fill="#d9d4cc"/><rect y="640" width="1200" height="260" fill="#a89f92"/>
<polygon points="260,260 820,200 980,330 980,700 420,760 260,640" fill="#b98a52"/>
<polygon points="260,260 820,200 980,330 420,390" fill="#d2a46a"/><polygon points="420,390 980,330 980,700 420,760" fill="#a7763f"/>
<polygon points="520,245 600,236 760,360 680,369" fill="#e8dcc0" opacity=".9"/>
<polygon points="640,420 760,470 700,560 820,640 650,600" fill="#6e4a22"/>
<path d="M300 300 L400 380 L330 470 L420 560" stroke="#5a3a18" stroke-width="10" fill="none"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** The damaged-delivery dialog up to its photo question, then a photo sent through the attach button. */
async function sendPhoto(root: Locator, photo: Buffer): Promise<void> {
  await say(root, 'mon colis est arrivé abîmé');
  await say(root, 'MV-4810044');
  await root
    .locator('form input[type=file]')
    .first()
    .setInputFiles({ name: 'colis.jpg', mimeType: 'image/jpeg', buffer: photo });
  await root.locator('.tray .name').waitFor();
  await root.locator('textarea').press('Enter');
  await root.locator('.msg.bot[data-id] .body').filter({ hasText: 'colis.jpg' }).waitFor();
  await root.locator('.thumb img').evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode());
}

async function say(root: Locator, text: string): Promise<void> {
  const before = await root.locator('.msg.bot[data-id]').count();
  await root.locator('textarea').fill(text);
  await root.locator('textarea').press('Enter');
  await root.locator('.msg.bot[data-id]').nth(before).waitFor();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-shots-'));
  const agent = { name: 'Marie', token: randomBytes(24).toString('base64url') };
  const env = { LOG_LEVEL: 'silent', SQLITE_FILE: join(dir, 'bot.db'), AGENT_TOKENS: `${agent.name}:${agent.token}` };
  const app = await buildApp(loadConfig(env, ROOT));
  const server = await listenOnLoopback(app.http);
  const browser = await launchBrowser();
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  try {
    const photo = await parcelPhoto();
    for (const [name, viewport, withPhoto] of [
      ['desktop', { width: 1280, height: 800 }, false],
      ['mobile', { width: 390, height: 844 }, false],
      ['photo-desktop', { width: 1280, height: 800 }, true],
      ['photo-mobile', { width: 390, height: 844 }, true],
    ] as const) {
      const phone = withPhoto && viewport.width < 480 ? { isMobile: true, hasTouch: true } : {};
      const { context, offLoopback } = await loopbackContext(browser, {
        viewport,
        locale: 'fr-FR',
        timezoneId: 'Europe/Paris',
        ...phone,
      });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${server.base}/`);
      const root = page.locator('#savbot-widget');
      await root.locator('button.bubble').click();
      if (withPhoto) await sendPhoto(root, photo);
      else {
        for (const text of ['bonjour', 'combien de temps dure la garantie ?']) await say(root, text);
        await root.locator('.suggestions button').first().waitFor();
      }
      const file = join(ROOT, 'docs', `widget-${name}.png`);
      await page.screenshot({ path: file });
      await context.close();
      if (offLoopback.length) throw new Error(`the page requested hosts outside loopback: ${offLoopback.join(', ')}`);
      process.stdout.write(`${file}\n`);
    }
    for (const file of await deskScreenshots(server.base, browser, app.engine, agent, ROOT))
      process.stdout.write(`${file}\n`);
  } finally {
    await browser.close();
    await server.close();
    await app.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
