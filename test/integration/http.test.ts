/**
 * The widget HTTP API over real HTTP on loopback: the app built by buildApp, listening on an ephemeral
 * port, exercised with the global fetch (no supertest, no mocks).
 */
import { resolve } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type StartedApp } from '../support/app';

const KB_DIR = resolve(__dirname, '..', '..', 'knowledge-base');

interface ApiReply {
  text: string;
  suggestions?: { label: string; value: string }[];
  source: { kind: string; id?: string; confidence?: number };
}
interface ApiError {
  error: { code: string; message: string };
}

let running: StartedApp | undefined;
let base: string;
let kbVersion: string;
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-http-'));

beforeAll(async () => {
  running = await startApp({ KB_DIR, SQLITE_FILE: join(dataDir, 'bot.db') });
  kbVersion = running.app.kb.version;
  base = running.base;
});

afterAll(async () => {
  await running?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function createConversation(body: unknown = {}): Promise<{ conversationId: string; token: string }> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { conversationId: string; token: string };
}

/** POST a raw body to a conversation's messages endpoint. */
function postRaw(id: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/api/conversations/${encodeURIComponent(id)}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

function post(conv: { conversationId: string; token: string }, body: unknown): Promise<Response> {
  return postRaw(conv.conversationId, JSON.stringify(body), { authorization: `Bearer ${conv.token}` });
}

/** Send a message that must succeed; returns the replies after checking their general shape. */
async function say(conv: { conversationId: string; token: string }, body: unknown): Promise<ApiReply[]> {
  const res = await post(conv, body);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const json = (await res.json()) as { replies: ApiReply[] };
  expect(Array.isArray(json.replies)).toBe(true);
  expect(json.replies.length).toBeGreaterThan(0);
  for (const r of json.replies) {
    expect(typeof r.text).toBe('string');
    expect(r.text.trim().length).toBeGreaterThan(0);
    expect(typeof r.source.kind).toBe('string');
  }
  return json.replies;
}

async function expectError(res: Response, status: number, code?: string): Promise<ApiError['error']> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const json = (await res.json()) as ApiError;
  expect(typeof json.error.code).toBe('string');
  expect(typeof json.error.message).toBe('string');
  expect(json.error.message.length).toBeGreaterThan(0);
  if (code) expect(json.error.code).toBe(code);
  return json.error;
}

describe('service endpoints', () => {
  test('GET /health reports ok and the knowledge-base version', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; kbVersion: string };
    expect(body.status).toBe('ok');
    expect(typeof body.kbVersion).toBe('string');
    expect(body.kbVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(body.kbVersion).toBe(kbVersion);
  });

  test('GET / serves the demo page as HTML', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  test('an unknown route is a JSON 404', async () => {
    const err = await expectError(await fetch(`${base}/no/such/route`), 404, 'NOT_FOUND');
    expect(err.message).toContain('/no/such/route');
    // Wrong method on a known path: also a JSON 404, not express's HTML page.
    await expectError(await fetch(`${base}/api/conversations`), 404, 'NOT_FOUND');
  });
});

describe('conversations and messages', () => {
  test('POST /api/conversations creates a conversation with its own token', async () => {
    const a = await createConversation();
    const b = await createConversation({ lang: 'en' });
    for (const c of [a, b]) {
      expect(typeof c.conversationId).toBe('string');
      expect(c.conversationId.length).toBeGreaterThan(0);
      expect(typeof c.token).toBe('string');
      expect(c.token.length).toBeGreaterThanOrEqual(16);
    }
    expect(a.conversationId).not.toBe(b.conversationId);
    expect(a.token).not.toBe(b.token);
  });

  test('POST /api/conversations rejects an unknown language or extra keys with 400', async () => {
    for (const body of [{ lang: 'de' }, { foo: 1 }]) {
      const res = await fetch(`${base}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const err = await expectError(res, 400, 'INVALID_BODY');
      expect(err.message).toMatch(/invalid request body/);
    }
  });

  test('asking for a person gets the handoff reply', async () => {
    const conv = await createConversation();
    const replies = await say(conv, { text: 'je veux parler à un conseiller' });
    expect(replies[0]!.source.kind).toBe('handoff');
    expect(replies[0]!.source.id).toBe('human-agent');
  });

  test('an invoice question gets the invoice-copy answer with a confidence, and its buttons work', async () => {
    const conv = await createConversation();
    const replies = await say(conv, { text: 'comment obtenir une copie de ma facture ?' });
    const r = replies[0]!;
    expect(r.source.kind).toBe('faq');
    expect(r.source.id).toBe('invoice-copy');
    expect(typeof r.source.confidence).toBe('number');
    expect(r.source.confidence).toBeGreaterThanOrEqual(0);
    expect(r.source.confidence).toBeLessThanOrEqual(1);
    expect(r.suggestions?.length).toBeGreaterThan(0);

    // Click the first follow-up button: its value goes back as {action}.
    const button = r.suggestions![0]!;
    expect(button.value).toMatch(/^faq:/);
    const next = await say(conv, { action: button.value });
    // The entry is answered, or (for an entry that starts a dialog) its dialog asks its first question.
    if (next[0]!.source.kind === 'faq') {
      expect(next[0]!.source.id).toBe(button.value.slice('faq:'.length));
      expect(next[0]!.source.confidence).toBe(1);
    } else expect(next[0]!.source.kind).toBe('dialog');
    expect(next[0]!.text).not.toBe(r.text);
  });

  test('fallback buttons (topic, handoff) work when sent back as actions', async () => {
    const conv = await createConversation();
    const replies = await say(conv, { text: 'xylophone quantique interstellaire' });
    const fallback = replies.find((x) => x.source.kind === 'fallback');
    expect(fallback).toBeDefined();
    const values = fallback!.suggestions!.map((s) => s.value);
    expect(values).toContain('handoff');
    const topic = values.find((v) => v.startsWith('topic:'))!;
    expect(topic).toBeDefined();

    const topicReplies = await say(conv, { action: topic });
    expect(topicReplies[0]!.source).toEqual({ kind: 'clarify', id: topic });
    expect(topicReplies[0]!.suggestions!.length).toBeGreaterThan(0);

    // A stale or forged button value gets a clear answer, not an error.
    const stale = await say(conv, { action: 'faq:no-such-entry' });
    expect(stale[0]!.source.kind).toBe('fallback');

    const handoff = await say(conv, { action: 'handoff' });
    expect(handoff[0]!.source.kind).toBe('handoff');
    // While waiting for a person, what the customer sends is passed on (with the queue position).
    const waiting = await say(conv, { text: 'bonjour ?' });
    expect(waiting[0]!.source).toEqual({ kind: 'handoff', id: 'queue' });
  });
});

describe('authentication', () => {
  test('a wrong token is 401 with a JSON error', async () => {
    const conv = await createConversation();
    const other = await createConversation();
    const err = await expectError(
      await post({ conversationId: conv.conversationId, token: other.token }, { text: 'bonjour' }),
      401,
      'UNAUTHORIZED',
    );
    expect(err.message).toMatch(/token/);
    await expectError(
      await post({ conversationId: conv.conversationId, token: 'not-a-token' }, { text: 'bonjour' }),
      401,
      'UNAUTHORIZED',
    );
    // The rightful owner still gets through.
    await say(conv, { text: 'bonjour' });
  });

  test('a missing or malformed Authorization header is 401', async () => {
    const conv = await createConversation();
    const err = await expectError(
      await postRaw(conv.conversationId, JSON.stringify({ text: 'bonjour' })),
      401,
      'UNAUTHORIZED',
    );
    expect(err.message).toMatch(/Authorization/);
    await expectError(
      await postRaw(conv.conversationId, JSON.stringify({ text: 'bonjour' }), { authorization: conv.token }),
      401,
      'UNAUTHORIZED',
    );
    await expectError(
      await postRaw(conv.conversationId, JSON.stringify({ text: 'bonjour' }), { authorization: 'Bearer ' }),
      401,
      'UNAUTHORIZED',
    );
  });

  test('an unknown conversation answers exactly like a wrong token', async () => {
    const conv = await createConversation();
    const wrongToken = await (
      await post({ conversationId: conv.conversationId, token: 'x'.repeat(32) }, { text: 'bonjour' })
    ).json();
    const res = await post(
      { conversationId: '00000000-0000-0000-0000-000000000000', token: conv.token },
      { text: 'bonjour' },
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(wrongToken);
  });

  test('authentication is checked before the body: a bad body without a valid token is still 401', async () => {
    const conv = await createConversation();
    await expectError(
      await post({ conversationId: conv.conversationId, token: 'wrong' }, { text: 5 }),
      401,
      'UNAUTHORIZED',
    );
  });
});

describe('malformed requests', () => {
  let conv: { conversationId: string; token: string };
  beforeAll(async () => {
    conv = await createConversation();
  });

  test.each([
    ['an empty object', {}],
    ['a non-string text', { text: 5 }],
    ['an action with a non-string label', { text: 5, action: 'b' }],
    ['an action with a label over 200 characters', { text: 'a'.repeat(201), action: 'b' }],
    ['an empty action', { action: '' }],
    ['an unknown key', { text: 'a', extra: true }],
    ['a JSON array', ['bonjour']],
  ])('%s is 400 INVALID_BODY with a message', async (_name, body) => {
    const err = await expectError(await post(conv, body), 400, 'INVALID_BODY');
    expect(err.message).toMatch(/^invalid request body: .+/);
  });

  test('a body without a JSON content type is 400, not 500', async () => {
    const res = await postRaw(conv.conversationId, 'text=bonjour', {
      authorization: `Bearer ${conv.token}`,
      'content-type': 'application/x-www-form-urlencoded',
    });
    await expectError(res, 400, 'INVALID_BODY');
  });

  test('invalid JSON is 400 INVALID_JSON', async () => {
    const err = await expectError(
      await postRaw(conv.conversationId, '{"text": "bonjour"', { authorization: `Bearer ${conv.token}` }),
      400,
      'INVALID_JSON',
    );
    expect(err.message).toBe('request body is not valid JSON');
  });

  test('a 100 KB body is 413 BODY_TOO_LARGE', async () => {
    const big = JSON.stringify({ text: 'a'.repeat(100 * 1024) });
    const err = await expectError(
      await postRaw(conv.conversationId, big, { authorization: `Bearer ${conv.token}` }),
      413,
      'BODY_TOO_LARGE',
    );
    expect(err.message).toMatch(/larger than 16384 bytes/);
    // The server is still fine afterwards.
    await say(conv, { text: 'bonjour' });
  });
});

describe('odd input gets a clear 200 reply, never a 500', () => {
  let conv: { conversationId: string; token: string };
  beforeAll(async () => {
    conv = await createConversation();
  });

  test.each([
    ['empty text', ''],
    ['whitespace only', '   \n\t  '],
    ['emoji only', '😀😀🎉'],
  ])('%s gets the "no text" reply', async (_name, text) => {
    const replies = await say(conv, { text });
    expect(replies).toHaveLength(1);
    expect(replies[0]!.source.kind).toBe('fallback');
  });

  test.each([
    ['control characters', '\u0000\u0007abc\u001b[31m'],
    ['HTML', '<script>alert(1)</script>'],
    ['SQL', "'; DROP TABLE conversations; --"],
    ['a lone surrogate', 'abc \ud800 def'],
  ])('%s is answered without echoing the input', async (_name, text) => {
    const replies = await say(conv, { text });
    for (const r of replies) {
      expect(r.text).not.toContain('<script>');
      expect(r.text).not.toContain('DROP TABLE');
      expect(r.text).not.toContain('\u0000');
    }
  });

  test('a 15,000-character message (under the body limit) says it was long, then answers', async () => {
    const text = 'where is my repair? '.repeat(750);
    expect(text.length).toBe(15_000);
    expect(Buffer.byteLength(JSON.stringify({ text }))).toBeLessThan(16 * 1024);
    const fresh = await createConversation({ lang: 'en' });
    const replies = await say(fresh, { text });
    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(replies[0]!.source).toEqual({ kind: 'fallback' });
    expect(replies[0]!.text).toMatch(/long/i);
    // ...and the beginning of the message is still understood: the repair-status dialog starts.
    expect(replies[1]!.source).toEqual({ kind: 'dialog', id: 'repair-status' });
    expect(replies[1]!.text).not.toBe(replies[0]!.text);
  });

  test('the conversation goes on after odd input: two messages not understood bring a person', async () => {
    const fresh = await createConversation({ lang: 'fr' });
    expect((await say(fresh, { text: '<b>xqzt vbnw</b>' }))[0]!.source.kind).toBe('fallback');
    const second = await say(fresh, { text: 'plok trumf zdeb' });
    expect(second.map((r) => r.source.kind)).toEqual(['handoff', 'handoff']);
    // Now with a person: the next message is passed on, with the place in the queue.
    const replies = await say(fresh, { text: 'où en est ma réparation ?' });
    expect(replies[0]!.source).toEqual({ kind: 'handoff', id: 'queue' });
  });
});
