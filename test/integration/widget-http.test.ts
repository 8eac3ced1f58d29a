/**
 * What the widget needs from the server, over real HTTP on loopback: /widget.js (bundled at startup, cached with an
 * ETag, gzipped on request) and CORS on the widget API and its event stream for WIDGET_ALLOWED_ORIGINS only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWidget } from '../../src/channels/widget/bundle';
import { startApp, type StartedApp } from '../support/app';

const ALLOWED = 'https://shop.example';
const OTHER = 'https://evil.example';

let base: string;
let running: StartedApp | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-widget-http-'));

beforeAll(async () => {
  running = await startApp({
    SQLITE_FILE: join(dataDir, 'bot.db'),
    WIDGET_ALLOWED_ORIGINS: `${ALLOWED}, http://localhost:8080`,
  });
  base = running.base;
});

afterAll(async () => {
  await running?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /widget.js', () => {
  test('the bundle, as JavaScript, cached 5 minutes then revalidated with its ETag (304)', async () => {
    const expected = await bundleWidget();
    const res = await fetch(`${base}/widget.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-encoding')).toBeNull();
    const etag = res.headers.get('etag');
    expect(etag).toBe(expected.etag);
    expect(await res.text()).toBe(expected.code);
    const again = await fetch(`${base}/widget.js`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  test('gzipped when the browser accepts it (fetch decodes it back to the same script)', async () => {
    const expected = await bundleWidget();
    const res = await fetch(`${base}/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toMatch(/Accept-Encoding/i);
    expect(await res.text()).toBe(expected.code);
  });
});

describe('CORS for WIDGET_ALLOWED_ORIGINS', () => {
  async function conversation(
    origin?: string,
  ): Promise<{ res: Response; body: { conversationId: string; token: string } }> {
    const res = await fetch(`${base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
      body: '{}',
    });
    return { res, body: (await res.json()) as { conversationId: string; token: string } };
  }

  test('a preflight from an allowed origin: 204 with the methods and the Authorization header allowed', async () => {
    for (const path of ['/api/conversations', '/api/conversations/abc/messages', '/api/conversations/abc/events']) {
      const res = await fetch(`${base}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: ALLOWED,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'last-event-id']),
      );
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
    // Every listed origin, not only the first.
    const second = await fetch(`${base}/api/conversations`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8080', 'access-control-request-method': 'POST' },
    });
    expect(second.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
  });

  test('a preflight from another origin (or none): 403 without CORS headers', async () => {
    for (const headers of [
      { origin: OTHER },
      { origin: 'https://shop.example.evil.example' },
      { origin: 'null' },
      {},
    ] as Record<string, string>[]) {
      const res = await fetch(`${base}/api/conversations`, {
        method: 'OPTIONS',
        headers: { ...headers, 'access-control-request-method': 'POST' },
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-headers')).toBeNull();
    }
  });

  test('API responses and the event stream carry the origin for an allowed site, nothing for another', async () => {
    const allowed = await conversation(ALLOWED);
    expect(allowed.res.status).toBe(201);
    expect(allowed.res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const other = await conversation(OTHER);
    expect(other.res.status).toBe(201);
    expect(other.res.headers.get('access-control-allow-origin')).toBeNull();
    const same = await conversation();
    expect(same.res.headers.get('access-control-allow-origin')).toBeNull();

    const { conversationId, token } = allowed.body;
    const post = (origin: string) =>
      fetch(`${base}/api/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ text: 'bonjour' }),
      });
    expect((await post(ALLOWED)).headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect((await post(OTHER)).headers.get('access-control-allow-origin')).toBeNull();

    for (const [origin, expected] of [
      [ALLOWED, ALLOWED],
      [OTHER, null],
    ] as const) {
      const abort = new AbortController();
      const res = await fetch(`${base}/api/conversations/${conversationId}/events?token=${encodeURIComponent(token)}`, {
        headers: { origin },
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.headers.get('access-control-allow-origin')).toBe(expected);
      abort.abort();
    }
  });
});
