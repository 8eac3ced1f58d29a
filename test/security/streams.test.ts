/**
 * Bounded streams and paged reads on a real loopback server (temp SQLite file): a few streams per conversation and
 * per address, replays read a page at a time and written as the client drains, a client that never reads does not
 * make the server buffer the conversation, GET messages and Direct Line activities are paged, and handoff.requested
 * carries the last 50 messages with a signed, expiring URL to the whole transcript.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { TranscriptLinks } from '../../src/handoff/transcriptLink';
import { startApp, type App, type StartedApp } from '../support/app';
import { streamHelpers, until, type Conv } from './streams-support';

interface Message {
  id: number;
  from: string;
  text: string;
}
interface PageBody {
  messages: Message[];
  hasMore: boolean;
  next: { after?: number; before?: number } | null;
  error: { code: string; message: string };
}
interface HandoffData {
  transcript: { text: string }[];
  transcriptTotal: number;
  transcriptUrl: string;
  transcriptUrlExpiresAt: string;
  [field: string]: unknown;
}
const PUBLIC_URL = 'http://bot.example:8443/sav';
let running: StartedApp;
let app: App;
let base: string;

beforeAll(async () => {
  running = await startApp({
    STREAMS_PER_CONVERSATION: '3',
    STREAMS_PER_IP: '6',
    STREAM_PAGE_SIZE: '100',
    STREAM_STALL_MS: '300',
    PUBLIC_URL,
    HANDOFF_WEBHOOK_URL: '',
  });
  ({ app, base } = running);
});
afterAll(() => running?.close());

const { conversation, fill, sse, opened, closeAll } = streamHelpers(() => ({ app, base }));
afterEach(async () => {
  await closeAll();
  jest.restoreAllMocks();
});

describe('streams per conversation and per address', () => {
  test('a 4th stream of a conversation closes the oldest, which is told why', async () => {
    const conv = await conversation();
    const streams: ReturnType<typeof sse>[] = [];
    for (let i = 0; i < 3; i++) {
      streams.push(sse(conv));
      expect((await streams[i]!.response).statusCode).toBe(200);
    }
    await until(() => app.streams.limits.count(conv.conversationId) === 3, 'three streams open');
    const fourth = sse(conv);
    expect((await fourth.response).statusCode).toBe(200);
    await until(() => streams[0]!.ended(), 'the oldest stream closed');
    expect(streams[0]!.events).toContainEqual({ event: 'closed', data: '{"reason":"replaced"}' });
    expect(streams[1]!.ended() || streams[2]!.ended() || fourth.ended()).toBe(false);
    expect(app.streams.limits.count(conv.conversationId)).toBe(3);
  });

  test('one address gets at most STREAMS_PER_IP streams: one more is a 429 RATE_LIMITED, SSE and WebSocket alike', async () => {
    const streams: ReturnType<typeof sse>[] = [];
    for (let i = 0; i < 6; i++) {
      const s = sse(await conversation());
      expect((await s.response).statusCode).toBe(200);
      streams.push(s);
    }
    const refused = sse(await conversation());
    const res = await refused.response;
    expect(res.statusCode).toBe(429);
    await until(() => refused.ended(), 'the refusal read');
    expect(JSON.parse(refused.body())).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(JSON.parse(refused.body()).error.message).toMatch(/at most 6/);

    // The Direct Line WebSocket counts against the same budget.
    const dl = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
      streamUrl: string;
    };
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(dl.streamUrl.replace(/^wss?:\/\/[^/]+/, base.replace('http', 'ws')));
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.on('open', () => (ws.close(), resolve(101)));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(429);

    // Closing one frees its slot.
    streams[0]!.destroy();
    await until(() => app.streams.limits.count() === 5, 'the slot released');
    expect((await sse(await conversation()).response).statusCode).toBe(200);
  });
});

describe('replay in pages', () => {
  test('a reconnect with Last-Event-ID (or ?after=) replays the rest in pages: nothing lost, nothing twice', async () => {
    const conv = await conversation();
    const ids = await fill(conv, 350);
    const reads = jest.spyOn(app.store, 'messagesPage');
    const whole = jest.spyOn(app.store, 'transcript');

    const again = sse(conv, { 'last-event-id': String(ids[119]) });
    await until(() => again.messageIds().at(-1) === ids.at(-1), 'the replay to the end');
    expect(again.messageIds()).toEqual(ids.slice(120));

    const viaQuery = sse(conv, {}, `&after=${ids[199]}`);
    await until(() => viaQuery.messageIds().at(-1) === ids.at(-1), 'the replay after ?after=');
    expect(viaQuery.messageIds()).toEqual(ids.slice(200));

    // Live messages after the replay come once each too.
    const live = await app.store.append(conv.conversationId, [
      { at: new Date().toISOString(), from: 'agent', text: 'live' },
    ]);
    app.engine.events.emit('message', conv.conversationId, live, 'agent');
    await until(() => again.messageIds().at(-1) === live[0]!.id, 'the live message');
    expect(again.messageIds().filter((id) => id === live[0]!.id)).toHaveLength(1);

    expect(reads.mock.calls.length).toBeGreaterThanOrEqual(4);
    for (const [, q] of reads.mock.calls) expect(q.limit).toBeLessThanOrEqual(100);
    expect(whole).not.toHaveBeenCalled();
  });
});

describe('a client that never reads', () => {
  /** The server side of the next request or upgrade: its socket, to see what is buffered for the client. */
  function serverSideOfNext(kind: 'request' | 'upgrade'): Promise<{ socket: Socket; res?: ServerResponse }> {
    return new Promise((resolve) => {
      const on = (req: IncomingMessage, second: ServerResponse | Socket) => {
        running.server.off(kind, on);
        if (kind === 'request') resolve({ socket: req.socket, res: second as ServerResponse });
        else resolve({ socket: second as Socket });
      };
      running.server.on(kind, on);
    });
  }

  test('SSE: the server buffers at most a little of a 20 MB conversation, then cuts the stalled stream', async () => {
    const conv = await conversation();
    const ids = await fill(conv, 2000, 10_000);
    const total = 2000 * 10_000;
    const server = serverSideOfNext('request');
    const slow = sse(conv);
    const res = await slow.response;
    res.pause(); // never read
    const { socket, res: out } = await server;
    let mostBuffered = 0;
    await until(() => {
      mostBuffered = Math.max(mostBuffered, out!.writableLength, socket.writableLength);
      return socket.destroyed;
    }, 'the stalled stream cut');
    // Node never held more than a high-water mark and one message; the kernel's buffers took the rest written.
    expect(mostBuffered).toBeLessThan(256 * 1024);
    expect(socket.bytesWritten).toBeLessThan(total / 2);
    // Released on the socket's close event, a tick after it is destroyed.
    await until(() => app.streams.limits.count(conv.conversationId) === 0, 'the cut stream released');

    // It resumes from its last complete event and gets the rest exactly once.
    res.resume();
    await until(() => slow.ended(), 'the cut stream read', 60_000);
    const got = slow.messageIds();
    expect(got.length).toBeLessThan(ids.length);
    const rest = sse(conv, { 'last-event-id': String(got.at(-1) ?? 0) });
    await until(() => rest.messageIds().at(-1) === ids.at(-1), 'the rest after a reconnect', 60_000);
    expect([...got, ...rest.messageIds()]).toEqual(ids);
    // Waits, not timings: 20 MB through a paced stream can take long on a busy 2-core machine.
  }, 150_000);

  test('Direct Line WebSocket: the same, through bufferedAmount and the send callback', async () => {
    const dl = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
      conversationId: string;
      streamUrl: string;
    };
    const ids = await fill({ conversationId: dl.conversationId, token: '' }, 2000, 10_000);
    const server = serverSideOfNext('upgrade');
    const ws = new WebSocket(dl.streamUrl.replace(/^wss?:\/\/[^/]+/, base.replace('http', 'ws')));
    opened.push({ destroy: () => ws.terminate() });
    await new Promise((r) => ws.once('open', r));
    ws.pause(); // never read
    const { socket } = await server;
    let mostBuffered = 0;
    await until(() => {
      mostBuffered = Math.max(mostBuffered, socket.writableLength);
      return socket.destroyed;
    }, 'the stalled WebSocket cut');
    expect(mostBuffered).toBeLessThan(256 * 1024);
    expect(socket.bytesWritten).toBeLessThan((2000 * 10_000) / 2);
    expect(ids).toHaveLength(2000);
  });
});

describe('GET messages, paged', () => {
  let conv: Conv;
  let ids: number[];
  beforeAll(async () => {
    conv = await conversation();
    ids = await fill(conv, 640);
  });
  const get = async (query: string, token = conv.token) => {
    const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as PageBody };
  };

  test('100 by default, at most 500, forward with after and back with before, with what the next page needs', async () => {
    const first = await get('');
    expect(first.status).toBe(200);
    expect(first.body.messages.map((m) => m.id)).toEqual(ids.slice(0, 100));
    expect(first.body).toMatchObject({ hasMore: true, next: { after: ids[99] } });
    expect((await get('?limit=500')).body.messages).toHaveLength(500);

    const forward: number[] = [];
    for (let q = '?limit=250'; q;) {
      const { body } = await get(q);
      forward.push(...body.messages.map((m) => m.id));
      q = body.next ? `?limit=250&after=${body.next.after}` : '';
      if (!body.next) expect(body.hasMore).toBe(false);
    }
    expect(forward).toEqual(ids);

    const back = await get(`?before=${ids[300]}&limit=50`);
    expect(back.body.messages.map((m) => m.id)).toEqual(ids.slice(250, 300));
    expect(back.body).toMatchObject({ hasMore: true, next: { before: ids[250] } });
    const between = await get(`?after=${ids[10]}&before=${ids[20]}`);
    expect(between.body.messages.map((m) => m.id)).toEqual(ids.slice(11, 20));
    expect(between.body).toMatchObject({ hasMore: false, next: null });
    expect((await get(`?after=${ids.at(-1)}`)).body).toMatchObject({ messages: [], hasMore: false, next: null });
  });

  test.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?limit=ten', 'limit'],
    ['?after=-1', 'after'],
    ['?after=1.5', 'after'],
    ['?before=0', 'before'],
    ['?before=abc', 'before'],
    ['?after=1&after=2', 'after'],
  ])('%s is a 400 naming %s', async (query, name) => {
    const { status, body } = await get(query);
    expect(status).toBe(400);
    expect(body.error.code).toBe('INVALID_QUERY');
    expect(body.error.message).toMatch(new RegExp(`^${name} must be`));
  });

  test("another conversation's token is refused, on messages and on the event stream", async () => {
    const other = await conversation();
    expect((await get('', other.token)).status).toBe(401);
    const s = sse({ conversationId: conv.conversationId, token: other.token });
    expect((await s.response).statusCode).toBe(401);
  });

  test('Direct Line GET activities returns one page per watermark', async () => {
    const dl = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as Conv;
    const dlIds = await fill(dl, 230);
    const all: string[] = [];
    let watermark = '';
    for (let i = 0; i < 10; i++) {
      const res = await fetch(
        `${base}/v3/directline/conversations/${dl.conversationId}/activities?watermark=${watermark}`,
        {
          headers: { authorization: `Bearer ${dl.token}` },
        },
      );
      const set = (await res.json()) as { activities: { id: string }[]; watermark: string };
      expect(set.activities.length).toBeLessThanOrEqual(100);
      if (!set.activities.length) break;
      all.push(...set.activities.map((a) => a.id));
      watermark = set.watermark;
    }
    expect(all.slice(-dlIds.length)).toEqual(dlIds.map(String));
  });
});

describe('handoff.requested: capped, with a signed transcript URL', () => {
  const local = (url: string) => url.replace(PUBLIC_URL, base);

  async function handedOff(): Promise<{ conv: Conv; data: HandoffData }> {
    const conv = await conversation();
    await fill(conv, 130, 200);
    const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
      body: JSON.stringify({ text: 'je veux parler à un conseiller' }),
    });
    expect(res.status).toBe(200);
    const [event] = (await app.store.events(conv.conversationId)).filter((e) => e.type === 'handoff.requested');
    return { conv, data: (JSON.parse(event!.body) as { data: HandoffData }).data };
  }

  test('the body has the last 50 messages, the total and a URL from which the whole transcript is fetched in pages', async () => {
    const { conv, data } = await handedOff();
    const stored = await app.store.transcript(conv.conversationId);
    expect(data.transcript).toHaveLength(50);
    expect(data.transcriptTotal).toBe(stored.length);
    expect(data.transcript.map((l) => l.text)).toEqual(stored.slice(-50).map((m) => m.text));
    expect(data).toMatchObject({ queue: expect.any(String), reason: 'customer-request', botTried: expect.any(Array) });
    expect(data.transcriptUrl).toMatch(new RegExp(`^${PUBLIC_URL}/api/handoff/transcripts/${conv.conversationId}\\?`));
    expect(Date.parse(data.transcriptUrlExpiresAt)).toBeGreaterThan(Date.now());

    const fetched: number[] = [];
    let pages = 0;
    for (let url: string | null = `${data.transcriptUrl}&limit=40`; url; pages++) {
      const res = await fetch(local(url));
      expect(res.status).toBe(200);
      const page = (await res.json()) as { total: number; messages: Message[]; nextUrl: string | null };
      expect(page.total).toBe(stored.length);
      expect(page.messages.length).toBeLessThanOrEqual(40);
      fetched.push(...page.messages.map((m) => m.id));
      url = page.nextUrl;
    }
    expect(fetched).toEqual(stored.map((m) => m.id));
    expect(pages).toBe(Math.ceil(stored.length / 40));
  });

  test('a tampered, borrowed or expired link is refused with JSON', async () => {
    const { conv, data } = await handedOff();
    const other = await handedOff();
    const url = new URL(local(data.transcriptUrl));
    const sig = url.searchParams.get('signature')!;

    const tampered = new URL(url);
    tampered.searchParams.set('signature', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`);
    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    const borrowed = new URL(url.href.replace(conv.conversationId, other.conv.conversationId));
    const unsigned = new URL(`${base}/api/handoff/transcripts/${conv.conversationId}`);
    for (const u of [tampered, longer, borrowed, unsigned]) {
      const res = await fetch(u);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_SIGNATURE');
    }

    const links = new TranscriptLinks({ publicUrl: base, key: running.config.transcripts.urlKey, ttlMs: 60_000 });
    const expired = await fetch(links.url(conv.conversationId, new Date(Date.now() - 120_000)));
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('LINK_EXPIRED');
    const fresh = await fetch(links.url(conv.conversationId, new Date()));
    expect(fresh.status).toBe(200);
  });
});
