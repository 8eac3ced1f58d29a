/**
 * The Direct Line 3.0 endpoint over real HTTP and WebSocket on loopback (the app built by buildApp, a temp SQLite
 * file, the global fetch, the `ws` client): start, post, get with watermarks, tokens, the stream, agents' messages.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import WebSocket from 'ws';
import { buildCore } from '../../src/app';
import { DirectLineTokens } from '../../src/channels/directline/tokens';
import { startApp, type App, type StartedApp } from '../support/app';

const ROOT = resolve(__dirname, '..', '..');
const AGENT_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const TOKEN_KEY = randomBytes(32).toString('base64url');
const DL_SECRET = randomBytes(32).toString('base64url');

interface Activity {
  type: string;
  id?: string;
  text?: string;
  from?: { id: string; name?: string; role?: string };
  channelData?: { clientActivityID?: string; agent?: { name: string } };
  suggestedActions?: { actions: { type: string; title: string; value: string }[] };
  attachments?: { contentType: string; content: { text?: string; buttons?: { type: string; value: unknown }[] } }[];
}
interface ActivitySet {
  activities: Activity[];
  watermark: string;
}
interface Conv {
  conversationId: string;
  token: string;
  expires_in: number;
  streamUrl: string;
}

let app: App;
let base: string;
let running: StartedApp | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-directline-'));
const DL = () => `${base}/v3/directline`;

beforeAll(async () => {
  running = await startApp({
    SQLITE_FILE: join(dataDir, 'bot.db'),
    HANDOFF_WEBHOOK_URL: '',
    HANDOFF_TRIGGERS: '',
    AGENT_WEBHOOK_SECRET: AGENT_SECRET,
    DIRECTLINE_TOKEN_SECRET: TOKEN_KEY,
    DIRECTLINE_SECRET: DL_SECRET,
  });
  ({ app, base } = running);
});

afterAll(async () => {
  await running?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

async function start(): Promise<Conv> {
  const res = await fetch(`${DL()}/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Conv;
}

async function post(conv: Conv, activity: Record<string, unknown>): Promise<Response> {
  return fetch(`${DL()}/conversations/${conv.conversationId}/activities`, {
    method: 'POST',
    headers: auth(conv.token),
    body: JSON.stringify(activity),
  });
}

async function say(
  conv: Conv,
  text: string,
  clientActivityID = `c-${randomBytes(4).toString('hex')}`,
): Promise<string> {
  const res = await post(conv, {
    type: 'message',
    text,
    from: { id: 'ignored', role: 'user' },
    channelData: { clientActivityID },
  });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  expect(id).toMatch(/^\d+$/);
  return id;
}

async function get(conv: Conv, watermark?: string, token = conv.token): Promise<ActivitySet> {
  const q = watermark === undefined ? '' : `?watermark=${watermark}`;
  const res = await fetch(`${DL()}/conversations/${conv.conversationId}/activities${q}`, { headers: auth(token) });
  expect(res.status).toBe(200);
  return (await res.json()) as ActivitySet;
}

const userOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { user: string }).user;

/** A WebSocket on streamUrl collecting its frames; `until` waits for an activity that satisfies `pred`. */
function openStream(url: string) {
  const frames: ActivitySet[] = [];
  const waiters: (() => void)[] = [];
  const ws = new WebSocket(url);
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as ActivitySet);
    for (const w of waiters.splice(0)) w();
  });
  const opened = new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  const activities = () => frames.flatMap((f) => f.activities);
  const until = (pred: (a: Activity) => boolean, what: string): Promise<Activity> =>
    new Promise((ok, fail) => {
      const timer = setTimeout(
        () =>
          fail(new Error(`no ${what} on the stream; got ${JSON.stringify(activities().map((a) => a.text ?? a.type))}`)),
        10_000,
      );
      const check = () => {
        const hit = activities().find(pred);
        if (hit) {
          clearTimeout(timer);
          ok(hit);
        } else waiters.push(check);
      };
      check();
    });
  return { ws, frames, opened, activities, until, close: () => ws.close() };
}

/** The status of a refused WebSocket upgrade. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => {
      ok(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => fail(new Error('the stream was opened')));
    ws.once('error', () => undefined);
  });
}

async function agentEvent(event: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify(event);
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const at = new Date();
  const res = await fetch(`${base}/api/agent/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(AGENT_SECRET).sign(id, at, body),
    },
    body,
  });
  expect(res.status).toBe(202);
}

describe('Direct Line: start and activities', () => {
  test('starting returns a conversation, a 1 h token bound to it, a ws:// stream URL, and the welcome', async () => {
    const conv = await start();
    expect(conv.expires_in).toBe(3600);
    expect(conv.streamUrl).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/v3/directline/conversations/${conv.conversationId}/stream\\?t=`),
    );
    expect(userOf(conv.token)).toMatch(/^dl_/);
    const first = await get(conv);
    expect(first.activities).toHaveLength(1);
    const [welcome] = first.activities;
    expect(welcome).toMatchObject({
      type: 'message',
      from: { id: 'bot', role: 'bot' },
      text: expect.stringContaining('Bonjour'),
    });
    // Its buttons are imBack actions whose value is the label.
    expect(welcome!.suggestedActions!.actions.length).toBeGreaterThan(0);
    for (const a of welcome!.suggestedActions!.actions)
      expect(a).toEqual({ type: 'imBack', title: a.title, value: a.title });
    expect(first.watermark).toBe(welcome!.id);
  });

  test('posting echoes the customer message (user id, clientActivityID) then the answer; watermarks resume without loss or duplicates', async () => {
    const conv = await start();
    const w0 = (await get(conv)).watermark;
    const id1 = await say(conv, 'combien de temps dure la garantie ?', 'wc-1');
    const after1 = await get(conv, w0);
    expect(after1.activities[0]).toMatchObject({
      id: id1,
      type: 'message',
      text: 'combien de temps dure la garantie ?',
      from: { id: userOf(conv.token), role: 'user' },
      channelData: { clientActivityID: 'wc-1' },
    });
    expect(after1.activities[1]).toMatchObject({
      from: { id: 'bot', role: 'bot' },
      text: expect.stringMatching(/garantie/i),
    });
    expect(after1.watermark).toBe(after1.activities[after1.activities.length - 1]!.id);
    // Nothing new: the same watermark and no activity.
    expect(await get(conv, after1.watermark)).toEqual({ activities: [], watermark: after1.watermark });

    await say(conv, 'où est mon colis ?', 'wc-2');
    await say(conv, 'merci', 'wc-3');
    const after3 = await get(conv, after1.watermark);
    expect(
      after3.activities.filter((a) => a.from?.role === 'user').map((a) => a.channelData?.clientActivityID),
    ).toEqual(['wc-2', 'wc-3']);
    // The pages read with watermarks are exactly the whole transcript, in order, once each.
    const pages = [...(await get(conv, '0')).activities.slice(0, 1), ...after1.activities, ...after3.activities].map(
      (a) => a.id,
    );
    const all = (await get(conv)).activities.map((a) => a.id);
    expect(pages).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
    expect(all.map(Number)).toEqual([...all.map(Number)].sort((a, b) => a - b));
  });

  test('the same activity posted twice (same clientActivityID) is answered once and acknowledged with the same id', async () => {
    const conv = await start();
    const w = (await get(conv)).watermark;
    const first = await say(conv, 'où est mon colis ?', 'retry-1');
    const countAfterFirst = (await get(conv, w)).activities.length;
    expect(await say(conv, 'où est mon colis ?', 'retry-1')).toBe(first);
    const after = (await get(conv, w)).activities;
    expect(after).toHaveLength(countAfterFirst);
    expect(after.filter((a) => a.channelData?.clientActivityID === 'retry-1')).toHaveLength(1);
  });

  test('a click on a suggested action (imBack: its label as text) is what the button does', async () => {
    const conv = await start();
    const welcome = (await get(conv)).activities[0]!;
    const label = welcome.suggestedActions!.actions[0]!.value;
    const w = (await get(conv)).watermark;
    await say(conv, label);
    const after = (await get(conv, w)).activities;
    expect(after[0]).toMatchObject({ text: label, from: { role: 'user' } });
    expect(after.length).toBeGreaterThan(1);
    // Stored as the click on that button (its value), answered by its entry or dialog, not by the fallback.
    const stored = await app.engine.transcript(conv.conversationId, Number(w));
    expect(stored[0]).toMatchObject({ from: 'customer', text: label, action: expect.stringMatching(/^faq:/) });
    expect(stored[1]!.source!.kind).toMatch(/^(faq|dialog)$/);
  });

  test('an answer carries "was this helpful? 👍 👎"; a 👎 click (messageBack) is recorded and puts the question in the inbox', async () => {
    const conv = await start();
    const w0 = (await get(conv)).watermark;
    await say(conv, 'combien coûte la livraison à domicile ?');
    const answer = (await get(conv, w0)).activities.find((a) => a.from?.role === 'bot')!;
    expect(answer.text).toMatch(/29 €/);
    const card = answer.attachments![0]!;
    expect(card.contentType).toBe('application/vnd.microsoft.card.hero');
    expect(card.content.text).toBe('Cette réponse vous a-t-elle aidé ?');
    const down = card.content.buttons![1]!;
    expect(down).toMatchObject({ type: 'messageBack', value: { action: 'feedback:down:delivery-options' } });
    // What Web Chat posts for a messageBack click: the value, its text, no typing.
    const w1 = (await get(conv)).watermark;
    const res = await post(conv, {
      type: 'message',
      text: '👎',
      value: down.value,
      channelData: { clientActivityID: `c-${randomBytes(4).toString('hex')}` },
    });
    expect(res.status).toBe(200);
    const after = (await get(conv, w1)).activities;
    expect(after[0]).toMatchObject({ text: '👎', from: { role: 'user' } });
    expect(after[1]!.text).toMatch(/ne vous ait pas aidé/);
    const stored = await app.engine.transcript(conv.conversationId, Number(w1));
    expect(stored[0]).toMatchObject({ from: 'customer', action: 'feedback:down:delivery-options' });
    const groups = await app.insights.inbox({ since: '1h' });
    const mine = groups.flatMap((g) => g.examples).find((x) => x.conversationId === conv.conversationId);
    expect(mine).toMatchObject({
      text: 'combien coûte la livraison à domicile ?',
      answer: { id: 'delivery-options', signal: 'down-vote' },
    });
    expect((await app.insights.figures({ since: '1h' })).helpfulness.byEntry['delivery-options']!.down).toBe(1);
  });

  test('typing and event activities are acknowledged, not answered; bad bodies and watermarks are 400', async () => {
    const conv = await start();
    const w = (await get(conv)).watermark;
    const typing = await post(conv, { type: 'typing', channelData: { clientActivityID: 't-1' } });
    expect(typing.status).toBe(200);
    expect(await typing.json()).toEqual({ id: 't-1' });
    expect(await get(conv, w)).toEqual({ activities: [], watermark: w });
    const bad = await post(conv, { type: 'message', text: 42 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'INVALID_BODY',
      message: expect.stringContaining('text'),
    });
    const badWatermark = await fetch(`${DL()}/conversations/${conv.conversationId}/activities?watermark=abc`, {
      headers: auth(conv.token),
    });
    expect(badWatermark.status).toBe(400);
  });
});

describe('Direct Line: other origins', () => {
  test('pages on another origin may call it (CORS for bearer-token requests, preflight answered)', async () => {
    const pre = await fetch(`${DL()}/conversations/x/activities`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-ms-bot-agent',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization.*content-type.*x-ms-bot-agent/);
    const res = await fetch(`${DL()}/conversations`, { method: 'POST', headers: { origin: 'https://shop.example' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('Direct Line: tokens', () => {
  test('401 without a token, with garbage, a token signed with another key, an expired token, or a stream token', async () => {
    const conv = await start();
    const url = `${DL()}/conversations/${conv.conversationId}/activities`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: auth('garbage') })).status).toBe(401);
    const otherKey = new DirectLineTokens(randomBytes(32).toString('hex')).issue(conv.conversationId, 'dl_x').token;
    expect((await fetch(url, { headers: auth(otherKey) })).status).toBe(401);
    const expired = new DirectLineTokens(TOKEN_KEY, 3600, () => Date.now() - 2 * 3600_000).issue(
      conv.conversationId,
      'dl_x',
    ).token;
    const refused = await fetch(url, { headers: auth(expired) });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
    const streamToken = new URL(conv.streamUrl).searchParams.get('t')!;
    expect((await fetch(url, { headers: auth(streamToken) })).status).toBe(401);
    // A tampered claim (another conversation) breaks the signature.
    const [h, , s] = conv.token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ conv: 'x', user: 'dl_x', scp: 'conversation', iat: 0, exp: 9e9 })).toString('base64url')}.${s}`;
    expect((await fetch(url, { headers: auth(forged) })).status).toBe(401);
    // The same token still works.
    expect((await fetch(url, { headers: auth(conv.token) })).status).toBe(200);
  });

  test("403 with another conversation's token, on every call", async () => {
    const a = await start();
    const b = await start();
    const headers = auth(b.token);
    expect((await fetch(`${DL()}/conversations/${a.conversationId}/activities`, { headers })).status).toBe(403);
    expect(
      (
        await fetch(`${DL()}/conversations/${a.conversationId}/activities`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ type: 'message', text: 'x' }),
        })
      ).status,
    ).toBe(403);
    expect((await fetch(`${DL()}/conversations/${a.conversationId}?watermark=0`, { headers })).status).toBe(403);
    // Nothing was written to a's conversation.
    expect((await get(a)).activities).toHaveLength(1);
  });

  test('refresh gives a new token for the same conversation and user; an expired one cannot be refreshed', async () => {
    const conv = await start();
    const res = await fetch(`${DL()}/tokens/refresh`, { method: 'POST', headers: auth(conv.token) });
    expect(res.status).toBe(200);
    const fresh = (await res.json()) as Conv;
    expect(fresh).toMatchObject({ conversationId: conv.conversationId, expires_in: 3600 });
    expect(userOf(fresh.token)).toBe(userOf(conv.token));
    expect((await get(conv, undefined, fresh.token)).activities).toHaveLength(1);
    const expired = new DirectLineTokens(TOKEN_KEY, 3600, () => Date.now() - 2 * 3600_000).issue(
      conv.conversationId,
      userOf(conv.token),
    ).token;
    expect((await fetch(`${DL()}/tokens/refresh`, { method: 'POST', headers: auth(expired) })).status).toBe(401);
  });

  test('tokens/generate needs DIRECTLINE_SECRET and embeds the user id; Web Chat then starts that conversation with the token', async () => {
    expect((await fetch(`${DL()}/tokens/generate`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${DL()}/tokens/generate`, { method: 'POST', headers: auth('wrong-secret') })).status).toBe(
      401,
    );
    const res = await fetch(`${DL()}/tokens/generate`, {
      method: 'POST',
      headers: auth(DL_SECRET),
      body: JSON.stringify({ user: { id: 'dl_customer-42' } }),
    });
    expect(res.status).toBe(200);
    const gen = (await res.json()) as Conv;
    expect(userOf(gen.token)).toBe('dl_customer-42');
    expect(gen).not.toHaveProperty('streamUrl');
    // What botframework-directlinejs does with a token: POST /conversations with it, which starts that conversation.
    const started = await fetch(`${DL()}/conversations`, {
      method: 'POST',
      headers: auth(gen.token),
      body: JSON.stringify({ user: {} }),
    });
    expect(started.status).toBe(200);
    const conv = (await started.json()) as Conv;
    expect(conv.conversationId).toBe(gen.conversationId);
    expect(conv.streamUrl).toContain(`/conversations/${gen.conversationId}/stream`);
    await say(conv, 'bonjour', 'g-1');
    const echo = (await get(conv)).activities.find((a) => a.channelData?.clientActivityID === 'g-1');
    expect(echo!.from).toEqual({ id: 'dl_customer-42', role: 'user' });
    // A user id is trusted from the backend only.
    const open = await fetch(`${DL()}/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: 'dl_admin' } }),
    });
    expect(userOf(((await open.json()) as Conv).token)).not.toBe('dl_admin');
  });
});

describe('Direct Line: WebSocket stream', () => {
  test('frames carry the welcome, then the echo and the answer; a reconnect resumes after the watermark', async () => {
    const conv = await start();
    const s = openStream(conv.streamUrl);
    await s.opened;
    await s.until((a) => a.from?.role === 'bot', 'welcome');
    expect(s.frames[0]!.watermark).toBe(s.frames[0]!.activities[0]!.id);
    await say(conv, 'combien de temps dure la garantie ?', 'ws-1');
    await s.until((a) => a.channelData?.clientActivityID === 'ws-1', 'echo');
    await s.until((a) => a.from?.role === 'bot' && /garantie/i.test(a.text ?? ''), 'answer');
    const last = String((await app.engine.transcript(conv.conversationId)).pop()!.id);
    await s.until((a) => a.id === last, 'last message');
    const w = s.frames[s.frames.length - 1]!.watermark;
    expect(w).toBe(last);
    s.close();

    // Written while disconnected: the next stream (from GET /conversations/:id?watermark=) starts there.
    await say(conv, 'merci', 'ws-2');
    const res = await fetch(`${DL()}/conversations/${conv.conversationId}?watermark=${w}`, {
      headers: auth(conv.token),
    });
    expect(res.status).toBe(200);
    const again = (await res.json()) as Conv;
    expect(again.streamUrl).toContain(`watermark=${w}`);
    const s2 = openStream(again.streamUrl);
    await s2.opened;
    await s2.until((a) => a.channelData?.clientActivityID === 'ws-2', 'message written while disconnected');
    await s2.until((a) => a.from?.role === 'bot', 'answer to it');
    const ids = s2.activities().map((a) => Number(a.id));
    expect(Math.min(...ids)).toBeGreaterThan(Number(w));
    expect(new Set(ids).size).toBe(ids.length);
    s2.close();
  });

  test('the upgrade is refused: 401 without or with a bad token, 403 for another conversation', async () => {
    const a = await start();
    const b = await start();
    const url = new URL(a.streamUrl);
    url.searchParams.delete('t');
    expect(await upgradeStatus(url.toString())).toBe(401);
    url.searchParams.set('t', a.token); // a conversation token is not a stream token
    expect(await upgradeStatus(url.toString())).toBe(401);
    url.searchParams.set('t', new URL(b.streamUrl).searchParams.get('t')!);
    expect(await upgradeStatus(url.toString())).toBe(403);
  });

  test("an agent's signed message reaches the open stream with the agent's name, and GET", async () => {
    const conv = await start();
    const s = openStream(conv.streamUrl);
    await s.opened;
    await say(conv, 'je veux parler à un conseiller', 'h-1');
    await s.until((a) => a.channelData?.clientActivityID === 'h-1', 'echo');
    expect((await app.engine.getConversation(conv.conversationId))!.handoff).toMatchObject({ status: 'queued' });
    await agentEvent({ type: 'agent.typing', conversationId: conv.conversationId, agent: { name: 'Marie' } });
    const typing = await s.until((a) => a.type === 'typing', 'typing');
    expect(typing.from).toMatchObject({ name: 'Marie', role: 'bot' });
    await agentEvent({
      type: 'agent.message',
      conversationId: conv.conversationId,
      text: 'Bonjour, ici Marie. Je regarde votre dossier.',
      agent: { name: 'Marie' },
    });
    const fromAgent = await s.until((a) => a.text === 'Bonjour, ici Marie. Je regarde votre dossier.', 'agent message');
    expect(fromAgent.from).toEqual({ id: 'bot', name: 'Marie', role: 'bot' });
    expect(fromAgent.channelData).toMatchObject({ agent: { name: 'Marie' } });
    const polled = (await get(conv)).activities.find((a) => a.id === fromAgent.id);
    expect(polled).toEqual(fromAgent);
    s.close();
    await app.engine.agentEvent({ type: 'handoff.completed', conversationId: conv.conversationId });
  });
});

describe('Direct Line: several instances', () => {
  test('a message written by another instance (no event in this process) reaches the open stream by polling', async () => {
    // Another engine on the same database, as a second instance would be: its events do not reach this process.
    const other = buildCore(
      {
        kbDir: join(ROOT, 'knowledge-base'),
        dialogsDir: join(ROOT, 'dialogs'),
        defaultLang: 'fr',
        matching: app.engine.options,
      },
      app.store,
    ).engine;
    const conv = await start();
    const s = openStream(conv.streamUrl);
    await s.opened;
    await say(conv, 'je veux parler à un conseiller', 'p-1');
    await s.until((a) => a.channelData?.clientActivityID === 'p-1', 'echo');
    let heard = 0;
    const count = () => heard++;
    app.engine.events.on('message', count);
    await other.agentEvent({
      type: 'agent.message',
      conversationId: conv.conversationId,
      text: 'Ici Paul, depuis une autre instance.',
      agent: { name: 'Paul' },
    });
    const fromAgent = await s.until(
      (a) => a.text === 'Ici Paul, depuis une autre instance.',
      'message from the other instance',
    );
    app.engine.events.off('message', count);
    expect(heard).toBe(0);
    expect(fromAgent.from).toEqual({ id: 'bot', name: 'Paul', role: 'bot' });
    s.close();
    await app.engine.agentEvent({ type: 'handoff.completed', conversationId: conv.conversationId });
  });
});

describe('Web Chat files', () => {
  test('the bundle is served from node_modules with caching headers, and the demo page uses it with our Direct Line', async () => {
    const original = readFileSync(join(ROOT, 'node_modules', 'botframework-webchat', 'dist', 'webchat.js'));
    // Gzipped for clients that accept it (fetch does, and decompresses), as is for the others.
    const js = await fetch(`${base}/webchat/webchat.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(js.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(js.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(Buffer.from(await js.arrayBuffer()).equals(original)).toBe(true);
    const gz = await request(app.http)
      .get('/webchat/webchat.js')
      .set('accept-encoding', 'gzip')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(Number(gz.headers['content-length'])).toBeLessThan(original.length / 2);
    const plain = await request(app.http).get('/webchat/webchat.js').set('accept-encoding', 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(original.length);
    // Revalidation answers 304 for either form (supertest: fetch turns a conditional request into a no-cache one).
    expect(
      (
        await request(app.http)
          .get('/webchat/webchat.js')
          .set('accept-encoding', 'gzip')
          .set('if-none-match', gz.headers.etag!)
      ).status,
    ).toBe(304);
    expect(
      (
        await request(app.http)
          .get('/webchat/webchat.js')
          .set('accept-encoding', 'identity')
          .set('if-none-match', plain.headers.etag!)
      ).status,
    ).toBe(304);
    const page = await (await fetch(`${base}/webchat.html`)).text();
    expect(page).toContain('<script src="/webchat/webchat.js">');
    expect(page).toContain("domain: location.origin + '/v3/directline'");
    expect(page).not.toMatch(/https?:\/\/(?!localhost)/);
  });
});
