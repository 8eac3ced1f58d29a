/**
 * The real server for widget browser tests: the app built by buildApp (temp SQLite file, loopback port 0), agent
 * events signed like a helpdesk would, and locators for the widget (Playwright's CSS pierces its open shadow root).
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { webhookHeaders } from '../../src/handoff/signing';
import { startApp, type App } from '../support/app';
import { loopbackContext, watchPage } from '../support/browser';

export { hoursAroundNow, ROOT } from '../support/config';

export interface WidgetServer {
  base: string;
  app: App;
  /** Drop every open connection (event streams included); the server keeps listening. */
  dropConnections(): void;
  /** POST a signed agent event to /api/agent/events; fails unless it is accepted. */
  agent(event: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startWidgetServer(env: Record<string, string> = {}): Promise<WidgetServer> {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  // A SQLite file in a temporary folder that close() removes (startApp's default).
  const running = await startApp({ AGENT_WEBHOOK_SECRET: secret, ...env });
  return {
    base: running.base,
    app: running.app,
    dropConnections: () => running.server.closeAllConnections(),
    async agent(event) {
      const body = JSON.stringify(event);
      const headers = webhookHeaders(secret, `msg_${randomBytes(12).toString('base64url')}`, new Date(), body);
      const post = () => fetch(`${running.base}/api/agent/events`, { method: 'POST', headers, body });
      let res: Response;
      try {
        res = await post();
      } catch {
        // A pooled connection just closed by dropConnections(): send again with the same webhook-id (a 409 then
        // means the first attempt did arrive).
        res = await post();
        if (res.status === 409) return;
      }
      if (res.status !== 202) throw new Error(`agent event refused: ${res.status} ${await res.text()}`);
    },
    close: () => running.close(),
  };
}

/** A page in a context that refuses non-loopback hosts, watched for dialogs and page errors. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  offLoopback: string[];
  seen: { dialogs: string[]; errors: string[] };
}

export async function openWatchedPage(
  browser: Browser,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<WatchedPage> {
  const { context, offLoopback } = await loopbackContext(browser, options);
  const page = await context.newPage();
  return { context, page, offLoopback, seen: watchPage(page) };
}

/** After a page run: its context closed, nothing requested outside loopback, no page error, no JS dialog. */
export async function closeWatchedPage(run: WatchedPage | undefined): Promise<void> {
  if (!run) return;
  await run.context.close();
  expect(run.offLoopback).toEqual([]);
  expect(run.seen).toEqual({ dialogs: [], errors: [] });
}

/** The widget's parts on a page. */
export const widget = (page: Page) => {
  const root = page.locator('#savbot-widget');
  return {
    bubble: root.locator('button.bubble'),
    panel: root.locator('.panel'),
    input: root.locator('textarea'),
    status: root.locator('.status'),
    typing: root.locator('.typing'),
    messages: root.locator('.msg[data-id]'),
    bot: root.locator('.msg.bot[data-id]'),
    agentMessages: root.locator('.msg.agent[data-id]'),
    customer: root.locator('.msg.customer[data-id]'),
    buttons: root.locator('.suggestions button'),
    /** Messages whose text is exactly `text`. */
    withText: (text: string) => root.locator('.msg[data-id] .body').filter({ hasText: text }),
  };
};

/** The widget's own id of the element that has focus inside its shadow root (undefined when focus is elsewhere). */
export function focusedInWidget(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const host = document.getElementById('savbot-widget');
    if (document.activeElement !== host) return undefined;
    const a = host?.shadowRoot?.activeElement as HTMLElement | null | undefined;
    return a ? a.id || a.className : undefined;
  });
}
