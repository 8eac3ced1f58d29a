/**
 * Screenshots of the widget on the demo page for the README (docs/widget-desktop.png 1280x800,
 * docs/widget-mobile.png 390x844): the real server on loopback (temp SQLite file), Debian's Chromium, a short
 * conversation with the panel open. Usage: npm run screenshots
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { launchBrowser, loopbackContext } from '../test/support/browser';
import { listenOnLoopback } from '../test/support/processes';

const ROOT = resolve(__dirname, '..');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-shots-'));
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', SQLITE_FILE: join(dir, 'bot.db') }, ROOT));
  const server = await listenOnLoopback(app.http);
  const browser = await launchBrowser();
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  try {
    for (const [name, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['mobile', { width: 390, height: 844 }],
    ] as const) {
      const { context, offLoopback } = await loopbackContext(browser, {
        viewport,
        locale: 'fr-FR',
        timezoneId: 'Europe/Paris',
      });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${server.base}/`);
      const root = page.locator('#savbot-widget');
      await root.locator('button.bubble').click();
      for (const text of ['bonjour', 'combien de temps dure la garantie ?']) {
        const before = await root.locator('.msg.bot[data-id]').count();
        await root.locator('textarea').fill(text);
        await root.locator('textarea').press('Enter');
        await root.locator('.msg.bot[data-id]').nth(before).waitFor();
      }
      await root.locator('.suggestions button').first().waitFor();
      const file = join(ROOT, 'docs', `widget-${name}.png`);
      await page.screenshot({ path: file });
      await context.close();
      if (offLoopback.length) throw new Error(`the page requested hosts outside loopback: ${offLoopback.join(', ')}`);
      process.stdout.write(`${file}\n`);
    }
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
