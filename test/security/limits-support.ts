/** What the limits suites (SQLite and PostgreSQL) share: limited settings, requests, and the 429 they expect. */
import { startApp, type StartedApp } from '../support/app';
import type { TestEnv } from '../support/config';

/** Limits low enough to reach in a few requests; everything else at its default. */
export const LOW: TestEnv = {
  RATE_LIMITS: 'on',
  RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE: '2',
  RATE_LIMIT_NEW_CONVERSATIONS_BURST: '3',
  RATE_LIMIT_MESSAGES_PER_MINUTE: '3',
};

export async function start(env: TestEnv, opened: StartedApp[]): Promise<StartedApp> {
  const s = await startApp(env);
  opened.push(s);
  return s;
}

export interface Conv {
  conversationId: string;
  token: string;
}

export function newWidgetConversation(base: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ lang: 'en' }),
  });
}

export async function widgetConversation(base: string): Promise<Conv> {
  const res = await newWidgetConversation(base);
  expect(res.status).toBe(201);
  return (await res.json()) as Conv;
}

export function say(base: string, c: Conv, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${base}/api/conversations/${c.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
    body: JSON.stringify(body),
  });
}

/** A 429 as every limit answers it: Retry-After in whole seconds, and the RATE_LIMITED error body. */
export async function expectLimited(res: Response): Promise<string> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('RATE_LIMITED');
  expect(body.error.message).toMatch(/too many requests/);
  return body.error.message;
}
