/**
 * Handoff over real HTTP on loopback (the app built by buildApp, a temp SQLite file, the global fetch): agents'
 * signed events on POST /api/agent/events and what the customer's widget sees on the server-sent event stream.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { startApp, type App, type StartedApp } from '../support/app';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const OTHER_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

interface Conv {
  conversationId: string;
  token: string;
}
interface Message {
  id: number;
  at: string;
  from: 'customer' | 'bot' | 'agent';
  text: string;
  source?: { kind: string; id?: string };
}
interface ApiError {
  error: { code: string; message: string };
}

let base: string;
let app: App;
let running: StartedApp | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-handoff-http-'));

beforeAll(async () => {
  running = await startApp({
    SQLITE_FILE: join(dataDir, 'bot.db'),
    MAX_BODY_BYTES: '16384',
    HANDOFF_WEBHOOK_URL: '',
    AGENT_WEBHOOK_SECRET: SECRET,
    HANDOFF_TRIGGERS: '',
  });
  ({ app, base } = running);
});

afterAll(async () => {
  await running?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// Conversations left with a person are closed after each test, so that every handoff request is first in its queue.
const handedOff = new Set<string>();
afterEach(async () => {
  for (const id of handedOff)
    if ((await app.engine.getConversation(id))?.handoff)
      await app.engine.agentEvent({ type: 'handoff.completed', conversationId: id });
  handedOff.clear();
});

async function createConversation(lang = 'fr'): Promise<Conv> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Conv;
}

async function say(conv: Conv, text: string): Promise<{ text: string; source: { kind: string; id?: string } }[]> {
  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { replies: { text: string; source: { kind: string; id?: string } }[] }).replies;
}

/** A conversation waiting for a person. */
async function withHandoff(lang = 'fr'): Promise<Conv> {
  const conv = await createConversation(lang);
  handedOff.add(conv.conversationId);
  const replies = await say(conv, lang === 'en' ? 'real person please' : 'je veux parler à un conseiller');
  expect(replies.map((r) => r.source)).toContainEqual({ kind: 'handoff', id: 'queue' });
  return conv;
}

async function messages(conv: Conv, after?: number): Promise<Message[]> {
  const res = await fetch(
    `${base}/api/conversations/${conv.conversationId}/messages${after !== undefined ? `?after=${after}` : ''}`,
    {
      headers: { authorization: `Bearer ${conv.token}` },
    },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Message[] }).messages;
}

/** Everything a refused event must leave alone: the transcript, the handoff and the webhook events queued. */
async function snapshot(conv: Conv): Promise<unknown> {
  const state = await app.engine.getConversation(conv.conversationId);
  return {
    messages: await messages(conv),
    handoff: state?.handoff ?? null,
    events: await app.store.events(conv.conversationId),
  };
}

interface SignOptions {
  id?: string;
  at?: Date;
  secret?: string;
  /** Headers to leave out. */
  omit?: ('webhook-id' | 'webhook-timestamp' | 'webhook-signature')[];
  /** Sign these bytes but send `body` (tampering). */
  signed?: string;
}

const newId = () => `msg_${randomBytes(12).toString('base64url')}`;

/** POST an agent event with Standard Webhooks headers. */
function postEvent(body: string, o: SignOptions = {}): Promise<Response> {
  const id = o.id ?? newId();
  const at = o.at ?? new Date();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(o.secret ?? SECRET).sign(id, at, o.signed ?? body),
  };
  for (const h of o.omit ?? []) delete headers[h];
  return fetch(`${base}/api/agent/events`, { method: 'POST', headers, body });
}

async function agent(event: Record<string, unknown>, o?: SignOptions): Promise<Response> {
  return postEvent(JSON.stringify(event), o);
}

async function accepted(res: Response): Promise<void> {
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ accepted: true });
}

/** A refusal: the status and a JSON error with its code and a message. */
async function refused(res: Response, status: number, code: string): Promise<ApiError['error']> {
  const body = (await res.json()) as ApiError;
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

describe('POST /api/agent/events', () => {
  test('signed agent.joined and agent.message are accepted (202) and reach the customer transcript', async () => {
    const conv = await withHandoff();
    await accepted(
      await agent({ type: 'agent.joined', conversationId: conv.conversationId, agent: { name: 'Marie' } }),
    );
    await accepted(
      await agent({
        type: 'agent.message',
        conversationId: conv.conversationId,
        text: 'Bonjour, je regarde votre dossier.',
        agent: { name: 'Marie' },
      }),
    );
    const tail = (await messages(conv)).slice(-2);
    expect(tail[0]).toMatchObject({
      from: 'bot',
      text: 'Marie a rejoint la conversation.',
      source: { kind: 'agent', id: 'Marie' },
    });
    expect(tail[1]).toMatchObject({
      from: 'agent',
      text: 'Bonjour, je regarde votre dossier.',
      source: { kind: 'agent', id: 'Marie' },
    });
    expect((await app.engine.getConversation(conv.conversationId))!.handoff).toMatchObject({
      status: 'active',
      agentName: 'Marie',
    });
    // While the agent is in charge the bot is silent; the customer's message goes to the agents.
    expect(await say(conv, 'merci')).toEqual([]);
    expect((await app.store.events(conv.conversationId)).map((e) => e.type)).toEqual([
      'handoff.requested',
      'conversation.message',
    ]);
    // The agent hands back: the bot asks for a rating.
    await accepted(await agent({ type: 'handoff.completed', conversationId: conv.conversationId, note: 'réglé' }));
    // With its 1-5 buttons, stored: a widget shows them from GET .../messages and the event stream.
    const csat = [1, 2, 3, 4, 5].map((n) => ({ label: String(n), value: `csat:${n}` }));
    expect((await messages(conv)).at(-1)).toMatchObject({
      from: 'bot',
      source: { kind: 'dialog', id: 'csat' },
      suggestions: csat,
    });
    expect((await app.store.events(conv.conversationId)).map((e) => e.type)).toEqual([
      'handoff.requested',
      'conversation.message',
      'conversation.closed',
    ]);
  });

  describe('refused events change nothing', () => {
    let conv: Conv;
    let before: unknown;
    const event = () => ({
      type: 'agent.message',
      conversationId: conv.conversationId,
      text: 'Bonjour',
      agent: { name: 'Marie' },
    });
    beforeEach(async () => {
      conv = await withHandoff();
      before = await snapshot(conv);
    });
    afterEach(async () => {
      expect(await snapshot(conv)).toEqual(before);
    });

    test('missing signature headers: 401', async () => {
      await refused(await agent(event(), { omit: ['webhook-signature'] }), 401, 'BAD_SIGNATURE');
      await refused(
        await agent(event(), { omit: ['webhook-id', 'webhook-timestamp', 'webhook-signature'] }),
        401,
        'BAD_SIGNATURE',
      );
      await refused(await agent(event(), { omit: ['webhook-timestamp'] }), 401, 'BAD_SIGNATURE');
    });

    test('bad signature (another secret, a tampered body): 401', async () => {
      await refused(await agent(event(), { secret: OTHER_SECRET }), 401, 'BAD_SIGNATURE');
      const body = JSON.stringify(event());
      await refused(await postEvent(body.replace('Bonjour', 'Au revoir'), { signed: body }), 401, 'BAD_SIGNATURE');
      // Signed for another id than the one sent.
      const res = await fetch(`${base}/api/agent/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': newId(),
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': new Webhook(SECRET).sign(newId(), new Date(), body),
        },
        body,
      });
      await refused(res, 401, 'BAD_SIGNATURE');
    });

    test('a timestamp 6 minutes old (or ahead): 401', async () => {
      const err = await agent(event(), { at: new Date(Date.now() - 6 * 60_000) });
      expect(err.status).toBe(401);
      expect(((await err.json()) as ApiError).error.message).toMatch(/too old/);
      await refused(await agent(event(), { at: new Date(Date.now() + 6 * 60_000) }), 401, 'BAD_SIGNATURE');
    });

    test('the same webhook-id twice: 409 the second time', async () => {
      const id = newId();
      await accepted(await agent(event(), { id }));
      const after = await snapshot(conv);
      expect((after as { messages: Message[] }).messages.at(-1)).toMatchObject({ from: 'agent', text: 'Bonjour' });
      // A replay, even re-signed with a fresh timestamp, is refused and adds nothing.
      await refused(await agent(event(), { id }), 409, 'REPLAYED');
      expect(await snapshot(conv)).toEqual(after);
      before = after;
    });

    test('an unknown conversation: 404', async () => {
      await refused(
        await agent({ ...event(), conversationId: '00000000-0000-0000-0000-000000000000' }),
        404,
        'CONVERSATION_NOT_FOUND',
      );
    });

    test('a body over MAX_BODY_BYTES (100 KB): 413', async () => {
      const res = await agent({ ...event(), text: 'a'.repeat(100 * 1024) });
      expect(res.status).toBe(413);
      expect(((await res.json()) as ApiError).error).toMatchObject({
        code: 'BODY_TOO_LARGE',
        message: expect.stringMatching(/16384 bytes/),
      });
    });

    test('an invalid event (missing text, unknown type, extra key): 400', async () => {
      const { text: _t, ...noText } = event();
      await refused(await agent(noText), 400, 'INVALID_EVENT');
      await refused(await agent({ ...event(), text: '   ' }), 400, 'INVALID_EVENT');
      await refused(await agent({ ...event(), type: 'agent.dance' }), 400, 'INVALID_EVENT');
      await refused(await agent({ ...event(), extra: true }), 400, 'INVALID_EVENT');
      await refused(
        await agent({ type: 'agent.joined', conversationId: conv.conversationId, agent: {} }),
        400,
        'INVALID_EVENT',
      );
    });
  });

  test('a conversation not handed off to a person: 409, nothing changes', async () => {
    const conv = await createConversation();
    await say(conv, 'bonjour');
    const before = await snapshot(conv);
    for (const e of [
      { type: 'agent.joined', conversationId: conv.conversationId, agent: { name: 'Marie' } },
      { type: 'agent.message', conversationId: conv.conversationId, text: 'Bonjour', agent: { name: 'Marie' } },
      { type: 'handoff.completed', conversationId: conv.conversationId },
    ])
      await refused(await agent(e), 409, 'NOT_WITH_AGENT');
    expect(await snapshot(conv)).toEqual(before);
  });
});

interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** A server-sent event stream read with fetch; events are parsed as they arrive. */
class EventStream {
  readonly events: SseEvent[] = [];
  private cursor = 0;
  private wake?: () => void;
  private ended = false;
  private reading: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  static async open(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
    const s = new EventStream();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: s.abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    s.reading = s.read(res.body!);
    return s;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const e: Partial<SseEvent> & { lines: string[] } = { lines: [] };
          for (const line of block.split(/\r?\n/)) {
            if (line.startsWith(':')) continue; // comment (keep-alive)
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') e.id = value;
            else if (field === 'event') e.event = value;
            else if (field === 'data') e.lines.push(value);
          }
          if (e.lines.length)
            this.events.push({
              ...(e.id !== undefined ? { id: e.id } : {}),
              event: e.event ?? 'message',
              data: JSON.parse(e.lines.join('\n')),
            });
          this.wake?.();
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      this.ended = true;
      this.wake?.();
    }
  }

  /** The next event (after those already taken) that satisfies `pred`; fails after `timeoutMs`. */
  async next(pred: (e: SseEvent) => boolean, what: string, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e, k) => k >= this.cursor && pred(e));
      if (i >= 0) {
        this.cursor = i + 1;
        return this.events[i]!;
      }
      if (this.ended) throw new Error(`stream ended before ${what}; got ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, left);
        this.wake = () => {
          clearTimeout(t);
          ok();
        };
      });
    }
  }

  /** Message events received so far. */
  messages(): Message[] {
    return this.events.filter((e) => e.event === 'message').map((e) => e.data as Message);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }
}

describe('GET /api/conversations/:id/events (server-sent events)', () => {
  const streams: EventStream[] = [];
  const open = async (url: string, headers?: Record<string, string>) => {
    const s = await EventStream.open(url, headers);
    streams.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(streams.splice(0).map((s) => s.close()));
  });

  test('a wrong or missing token is 401', async () => {
    const conv = await createConversation();
    const other = await createConversation();
    expect((await fetch(`${base}/api/conversations/${conv.conversationId}/events?token=${other.token}`)).status).toBe(
      401,
    );
    expect((await fetch(`${base}/api/conversations/${conv.conversationId}/events`)).status).toBe(401);
  });

  test('queue position, typing, agent messages; a reconnect with Last-Event-ID loses and repeats nothing', async () => {
    const listeners = app.engine.events.listenerCount('message');
    const conv = await createConversation();
    handedOff.add(conv.conversationId);
    const url = `${base}/api/conversations/${conv.conversationId}/events`;
    const s1 = await open(`${url}?token=${encodeURIComponent(conv.token)}`);
    // With the bot, nothing to show yet.
    expect((await s1.next((e) => e.event === 'queue', 'initial queue event')).data).toEqual({ status: 'bot' });

    await say(conv, 'je veux parler à un conseiller');
    const queued = await s1.next((e) => e.event === 'queue', 'queue event after the request');
    expect(queued.data).toMatchObject({ queue: 'general', status: 'queued', position: 1, open: expect.any(Boolean) });
    // No join history yet: no made-up estimate (the customer is told a person answers as soon as possible).
    expect(queued.data).not.toHaveProperty('estimatedWaitMs');
    // The request and the bot's replies came before, as message events.
    expect(s1.messages().map((m) => m.from)).toEqual(['customer', 'bot', 'bot']);
    expect(s1.messages()[0]).toMatchObject({ text: 'je veux parler à un conseiller' });

    await accepted(
      await agent({ type: 'agent.typing', conversationId: conv.conversationId, agent: { name: 'Marie' } }),
    );
    expect((await s1.next((e) => e.event === 'typing', 'typing event')).data).toEqual({ agent: { name: 'Marie' } });

    await accepted(
      await agent({
        type: 'agent.message',
        conversationId: conv.conversationId,
        text: 'Bonjour, Marie du service client.',
        agent: { name: 'Marie' },
      }),
    );
    const msg = await s1.next(
      (e) => e.event === 'message' && (e.data as Message).from === 'agent',
      'agent message event',
    );
    expect(msg.data).toMatchObject({
      from: 'agent',
      text: 'Bonjour, Marie du service client.',
      source: { kind: 'agent', id: 'Marie' },
    });
    expect(msg.id).toBe(String((msg.data as Message).id));
    expect((await s1.next((e) => e.event === 'queue', 'queue event once the agent is there')).data).toMatchObject({
      status: 'active',
      agentName: 'Marie',
      position: 0,
    });

    // Every message event so far: ids increasing, each once, exactly the transcript.
    const seen = s1.events.filter((e) => e.event === 'message');
    for (const e of seen) expect(e.id).toBe(String((e.data as Message).id));
    expect(s1.messages()).toEqual(await messages(conv));
    const lastSeen = Number(seen.at(-1)!.id);

    // The customer's connection drops; meanwhile the conversation goes on.
    await s1.close();
    await say(conv, 'merci, le modèle est LV-800');
    await accepted(
      await agent({
        type: 'agent.message',
        conversationId: conv.conversationId,
        text: 'Une pièce vous est envoyée.',
        agent: { name: 'Marie' },
      }),
    );
    await accepted(
      await agent({ type: 'handoff.completed', conversationId: conv.conversationId, note: 'pièce envoyée' }),
    );
    const all = await messages(conv);
    const missed = all.filter((m) => m.id > lastSeen);
    expect(missed.map((m) => m.from)).toEqual(['customer', 'agent', 'bot', 'bot']);

    // The browser reconnects with Last-Event-ID (and the token as a bearer header this time).
    const s2 = await open(url, { 'last-event-id': String(lastSeen), authorization: `Bearer ${conv.token}` });
    await s2.next(
      (e) => e.event === 'message' && e.id === String(all.at(-1)!.id),
      'the last message after reconnecting',
    );
    expect((await s2.next((e) => e.event === 'queue', 'queue event after reconnecting')).data).toEqual({
      status: 'bot',
    });
    expect(s2.messages()).toEqual(missed);
    expect(s2.messages().at(-1)).toMatchObject({
      source: { kind: 'dialog', id: 'csat' },
      suggestions: [1, 2, 3, 4, 5].map((n) => ({ label: String(n), value: `csat:${n}` })),
    });
    expect(s2.events.filter((e) => e.event === 'message').map((e) => e.id)).toEqual(missed.map((m) => String(m.id)));
    // None lost, none repeated across the two connections.
    expect([...s1.messages(), ...s2.messages()]).toEqual(all);

    // ?after= does the same for clients that cannot set headers.
    const middle = all[all.length - 3]!.id;
    const s3 = await open(`${url}?token=${encodeURIComponent(conv.token)}&after=${middle}`);
    await s3.next((e) => e.event === 'queue', 'queue event with ?after=');
    expect(s3.messages()).toEqual(all.filter((m) => m.id > middle));

    // Closed streams stop listening to the engine.
    await Promise.all(streams.splice(0).map((s) => s.close()));
    const deadline = Date.now() + 10_000;
    while (app.engine.events.listenerCount('message') > listeners && Date.now() < deadline)
      await new Promise((ok) => setTimeout(ok, 10));
    expect(app.engine.events.listenerCount('message')).toBe(listeners);
    expect(app.engine.events.listenerCount('typing')).toBe(app.engine.events.listenerCount('message'));
  });

  test('a second customer waiting in the same queue is number 2 and moves up when the first is taken', async () => {
    const first = await withHandoff();
    const conv = await createConversation();
    handedOff.add(conv.conversationId);
    const s = await open(
      `${base}/api/conversations/${conv.conversationId}/events?token=${encodeURIComponent(conv.token)}`,
    );
    await s.next((e) => e.event === 'queue', 'initial queue event');
    await say(conv, 'je veux parler à un conseiller');
    expect((await s.next((e) => e.event === 'queue', 'queue event')).data).toMatchObject({
      status: 'queued',
      position: 2,
    });
    await accepted(
      await agent({ type: 'agent.joined', conversationId: first.conversationId, agent: { name: 'Marie' } }),
    );
    expect(await app.engine.queueStatus(conv.conversationId)).toMatchObject({ status: 'queued', position: 1 });
    // Nothing happened in this conversation: the stream's next database poll (every 2 s) brings the new position;
    // the deadline is generous, it is not a measure of the poll.
    expect((await s.next((e) => e.event === 'queue', 'queue event with the new position', 20_000)).data).toMatchObject({
      status: 'queued',
      position: 1,
    });
  });
});
