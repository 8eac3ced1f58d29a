/**
 * In Debian's Chromium: the Content-Security-Policy of our pages allows exactly what they use (the demo page's widget
 * and Web Chat's page answer a question with no policy violation reported, inline code the policy does not name is
 * refused), and the widget starts a new conversation when its token has expired.
 */
import type { Browser, Page } from 'playwright-core';
import { startAll, startApp, type StartedApp } from '../support/app';
import { launchBrowser, loopbackContext } from '../support/browser';

let server: StartedApp;
let browser: Browser;

beforeAll(async () => {
  await startAll(
    async () => {
      server = await startApp();
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

/** A page whose CSP violations are recorded from the first script on (event listener added before any load). */
async function watchedPage(): Promise<{ page: Page; violations: string[]; close(): Promise<void> }> {
  const { context, offLoopback } = await loopbackContext(browser, { locale: 'fr-FR' });
  const page = await context.newPage();
  const violations: string[] = [];
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      );
    });
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return {
    page,
    violations,
    close: async () => {
      await context.close();
      expect(offLoopback).toEqual([]);
    },
  };
}

test('the demo page: the widget opens, styled, and answers with no CSP violation', async () => {
  const w = await watchedPage();
  try {
    await w.page.goto(`${server.base}/`);
    const widget = w.page.locator('#savbot-widget');
    await widget.locator('button.bubble').click();
    const input = widget.locator('textarea');
    await input.fill('Quelle est la durée de la garantie ?');
    await input.press('Enter');
    await widget
      .locator('.msg.bot[data-id]')
      .filter({ hasText: /garantie/i })
      .first()
      .waitFor();
    // The widget's style sheet applies (a constructed sheet, not inline CSS).
    const styled = await w.page.evaluate(() => {
      const root = document.querySelector('#savbot-widget')!.shadowRoot!;
      return (
        root.adoptedStyleSheets.length > 0 && getComputedStyle(root.querySelector('.bubble')!).position === 'fixed'
      );
    });
    expect(styled).toBe(true);
    // Inline script not named by the policy is refused.
    const ran = await w.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.append(s);
      return (window as unknown as { __inline?: number }).__inline === 1;
    });
    expect(ran).toBe(false);
    // The one violation is that refused script.
    expect(w.violations.filter((v) => !/^script-src-elem inline$/.test(v) && !/inline script/i.test(v))).toEqual([]);
  } finally {
    await w.close();
  }
});

test('the Web Chat page: renders and answers with no CSP violation', async () => {
  const w = await watchedPage();
  try {
    await w.page.goto(`${server.base}/webchat.html`);
    const box = w.page.locator('[data-id="webchat-sendbox-input"], input[aria-label], textarea').first();
    await box.waitFor();
    await box.fill('Quelle est la durée de la garantie ?');
    await box.press('Enter');
    await w.page
      .getByText(/garantie/i)
      .nth(1)
      .waitFor();
    expect(w.violations).toEqual([]);
  } finally {
    await w.close();
  }
});

test('the widget starts a new conversation when its token has expired (401 TOKEN_EXPIRED)', async () => {
  const w = await watchedPage();
  try {
    await w.page.goto(`${server.base}/`);
    const widget = w.page.locator('#savbot-widget');
    await widget.locator('button.bubble').click();
    const input = widget.locator('textarea');
    const bot = widget.locator('.msg.bot[data-id]');
    await input.fill('Quelle est la durée de la garantie ?');
    await input.press('Enter');
    await bot
      .filter({ hasText: /garantie/i })
      .first()
      .waitFor();
    const savedId = () =>
      w.page.evaluate(() => {
        const key = Object.keys(localStorage).find((k) => k.startsWith('savbot:'))!;
        return (JSON.parse(localStorage.getItem(key)!) as { conversationId: string }).conversationId;
      });
    const first = await savedId();
    // The conversation was last active 31 days ago (the default limit is 30): its token is refused from now on.
    const state = (await server.app.store.get(first))!;
    await server.app.store.saveTurn({ ...state, updatedAt: new Date(Date.now() - 31 * 86_400_000).toISOString() }, []);
    const refused = w.page.waitForResponse(
      (r) => r.url().includes(`/api/conversations/${first}/messages`) && r.status() === 401,
    );
    const created = w.page.waitForResponse((r) => r.url().endsWith('/api/conversations') && r.status() === 201);
    const answered = w.page.waitForResponse(
      (r) => /\/api\/conversations\/[^/]+\/messages$/.test(r.url()) && !r.url().includes(first) && r.status() === 200,
    );
    await input.fill('Comment suivre ma commande ?');
    await input.press('Enter');
    expect(((await (await refused).json()) as { error: { code: string } }).error.code).toBe('TOKEN_EXPIRED');
    // The message went to a new conversation, which answered it.
    const second = ((await (await created).json()) as { conversationId: string }).conversationId;
    expect(second).not.toBe(first);
    expect(((await (await answered).json()) as { replies: unknown[] }).replies.length).toBeGreaterThan(0);
    expect(await savedId()).toBe(second);
    const transcript = await server.app.store.transcript(second);
    expect(transcript.find((m) => m.from === 'customer')?.text).toBe('Comment suivre ma commande ?');
    await widget.locator('.msg.failed').waitFor({ state: 'detached' });
  } finally {
    await w.close();
  }
});
