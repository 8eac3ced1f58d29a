import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_MISSING, chromiumInstalled } from './chromium';

/**
 * Launch headless Chromium with the flags this closed network needs (no background networking, no sync, no
 * component updates: otherwise Chromium tries to reach Google's hosts at every start).
 */
export function launchBrowser(): Promise<Browser> {
  // Also checked once by browser-setup.ts; here for a suite run without it.
  if (!chromiumInstalled()) return Promise.reject(new Error(CHROMIUM_MISSING));
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * A browser context that refuses every request to a host other than loopback and records it: pages under test
 * must never depend on a CDN or any outside service. `offLoopback` lists the refused URLs (tests assert it is empty).
 */
export async function loopbackContext(
  browser: Browser,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; offLoopback: string[] }> {
  const context = await browser.newContext(options);
  const offLoopback: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let host = '';
    try {
      const u = new URL(url);
      if (u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
      host = u.hostname;
    } catch {
      /* unparsable URL: refused below */
    }
    if (LOOPBACK.has(host)) return route.continue();
    offLoopback.push(url);
    return route.abort('blockedbyclient');
  });
  return { context, offLoopback };
}

/** Collect what would show that a page ran injected code: dialogs (alert/confirm/prompt) and page errors. */
export function watchPage(page: Page): { dialogs: string[]; errors: string[] } {
  const seen = { dialogs: [] as string[], errors: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  return seen;
}
