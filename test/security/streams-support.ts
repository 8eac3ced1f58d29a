/** Helpers of the streams suites (SQLite and PostgreSQL): a raw SSE client, a waiting loop, stored messages. */
import http, { type IncomingMessage } from 'node:http';
import type { NewMessage } from '../../src/domain/conversation';
import type { App } from '../support/app';

export interface Conv {
  conversationId: string;
  token: string;
}
export interface SseEvent {
  id?: number;
  event: string;
  data: string;
}

/** Poll until `cond` holds (a wait, not a timing assertion: the test fails only if it never holds). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Helpers bound to the running app (read when called: the app starts in beforeAll). */
export function streamHelpers(running: () => { app: App; base: string }) {
  const opened: { destroy(): void }[] = [];

  async function conversation(): Promise<Conv> {
    const res = await fetch(`${running().base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"lang":"fr"}',
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Conv;
  }

  /** `n` stored messages of `size` characters, written straight to the store (fast), alternately customer and bot. */
  async function fill(conv: Conv, n: number, size = 20): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i += 500) {
      const batch: NewMessage[] = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
        at: new Date().toISOString(),
        from: (i + j) % 2 ? 'bot' : 'customer',
        text: `m${i + j} ${'x'.repeat(Math.max(0, size - 8))}`,
      }));
      ids.push(...(await running().app.store.append(conv.conversationId, batch)).map((m) => m.id));
    }
    return ids;
  }

  /** A raw SSE client: the parsed events, the HTTP status, whether the server ended the stream. */
  function sse(conv: Conv, headers: Record<string, string> = {}, query = '') {
    const events: SseEvent[] = [];
    let buf = '';
    let ended = false;
    let body = '';
    const url = `${running().base}/api/conversations/${conv.conversationId}/events?token=${encodeURIComponent(conv.token)}${query}`;
    const req = http.get(url, { headers });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (res.statusCode !== 200) return void (body += chunk);
          buf += chunk;
          let cut: number;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            const e: SseEvent = { event: 'message', data: '' };
            let any = false;
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) e.id = Number(line.slice(4));
              else if (line.startsWith('event: ')) {
                e.event = line.slice(7);
                any = true;
              } else if (line.startsWith('data: ')) e.data = line.slice(6);
            }
            if (any) events.push(e);
          }
        });
        res.on('end', () => (ended = true));
        res.on('close', () => (ended = true));
        resolve(res);
      });
      req.on('error', (e) => (ended ? undefined : reject(e)));
    });
    const stream = {
      events,
      response,
      body: () => body,
      ended: () => ended,
      messageIds: () => events.filter((e) => e.event === 'message').map((e) => e.id!),
      destroy: () => req.destroy(),
    };
    opened.push(stream);
    return stream;
  }

  /** Destroy every stream opened, then wait until the server released them all. */
  async function closeAll(): Promise<void> {
    for (const st of opened.splice(0)) st.destroy();
    await until(() => running().app.streams.limits.count() === 0, 'every stream released');
  }

  return { conversation, fill, sse, opened, closeAll };
}
