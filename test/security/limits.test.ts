/**
 * Rate limits and quotas over real HTTP on loopback (the app as `npm start` builds it, a SQLite file): every
 * endpoint a stranger reaches answers 429 with Retry-After and RATE_LIMITED once over its limit, the counters are
 * the database's (two instances on one file share them), RATE_LIMITS=off lifts them, X-Forwarded-For is believed
 * only with TRUST_PROXY, and a conversation's length and a message's size are bounded.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Webhook } from 'standardwebhooks';
import { SLOW_DOWN } from '../../src/channels/limits';
import type { StartedApp } from '../support/app';
import { listenOnLoopback } from '../support/processes';
import { expectLimited, LOW, newWidgetConversation, say, start, widgetConversation, type Conv } from './limits-support';

const opened: StartedApp[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'savbot-limits-'));

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('the widget API', () => {
  test('new conversations: the minute rate, then the burst, then 429 with Retry-After', async () => {
    const { base } = await start(LOW, opened);
    // 2 a minute, burst 3: three are served, the fourth waits.
    for (let i = 0; i < 3; i++) expect((await newWidgetConversation(base)).status).toBe(201);
    expect(await expectLimited(await newWidgetConversation(base))).toMatch(/new conversations a minute/);
  });

  test('new conversations per day: the day ceiling refuses even under the minute rate', async () => {
    const { base } = await start(
      { RATE_LIMITS: 'on', RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE: '50', RATE_LIMIT_NEW_CONVERSATIONS_PER_DAY: '2' },
      opened,
    );
    for (let i = 0; i < 2; i++) expect((await newWidgetConversation(base)).status).toBe(201);
    expect(await expectLimited(await newWidgetConversation(base))).toMatch(/a day/);
  });

  test('messages per conversation: the fourth in a minute is refused, another conversation is not', async () => {
    const { base } = await start(LOW, opened);
    const a = await widgetConversation(base);
    const b = await widgetConversation(base);
    for (let i = 0; i < 3; i++) expect((await say(base, a, { text: 'where is my repair?' })).status).toBe(200);
    expect(await expectLimited(await say(base, a, { text: 'where is my repair?' }))).toMatch(/messages a minute/);
    expect((await say(base, b, { text: 'where is my repair?' })).status).toBe(200);
  });

  test('a stranger with the id but not the token does not spend the owner’s allowance', async () => {
    const { base } = await start(LOW, opened);
    const owner = await widgetConversation(base);
    const stranger = { conversationId: owner.conversationId, token: randomBytes(24).toString('base64url') };
    for (let i = 0; i < 4; i++) expect((await say(base, stranger, { text: 'hello' })).status).not.toBe(200);
    expect((await say(base, owner, { text: 'where is my repair?' })).status).toBe(200);
  });

  test('requests per client IP: every widget request counts, then 429', async () => {
    const { base } = await start({ RATE_LIMITS: 'on', RATE_LIMIT_REQUESTS_PER_MINUTE: '4' }, opened);
    for (let i = 0; i < 4; i++) expect((await fetch(`${base}/api/conversations/nope/messages`)).status).toBe(401);
    await expectLimited(await fetch(`${base}/api/conversations/nope/messages`));
  });
});

describe('Direct Line', () => {
  const dl = (base: string, path: string, token?: string, body: unknown = {}) =>
    fetch(`${base}/v3/directline${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  test('new conversations and messages are limited like the widget’s', async () => {
    const { base } = await start(LOW, opened);
    const started = (await (await dl(base, '/conversations')).json()) as { conversationId: string; token: string };
    for (let i = 0; i < 2; i++) expect((await dl(base, '/conversations')).status).toBe(201);
    await expectLimited(await dl(base, '/conversations'));
    await expectLimited(await dl(base, '/tokens/generate'));
    const post = () =>
      dl(base, `/conversations/${started.conversationId}/activities`, started.token, {
        type: 'message',
        text: 'where is my repair?',
        from: { id: 'user' },
      });
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(200);
    await expectLimited(await post());
    await expectLimited(await post());
    // Web Chat marks the refused message "Send failed": the reason comes over the stream, once per window.
    const got = await fetch(`${base}/v3/directline/conversations/${started.conversationId}/activities`, {
      headers: { authorization: `Bearer ${started.token}` },
    });
    const { activities } = (await got.json()) as { activities: { text?: string; from: { id: string } }[] };
    expect(activities.filter((a) => a.text === SLOW_DOWN.en)).toHaveLength(1);
    expect(activities.at(-1)!.text).toBe(SLOW_DOWN.en);
  });

  test('MAX_MESSAGE_CHARS: a longer message is stored cut, with the marker, and answered', async () => {
    const { base } = await start({ MAX_MESSAGE_CHARS: '1000' }, opened);
    const c = (await (await dl(base, '/conversations')).json()) as { conversationId: string; token: string };
    const text = 'where is my repair? '.repeat(250);
    const posted = await dl(base, `/conversations/${c.conversationId}/activities`, c.token, {
      type: 'message',
      text,
      from: { id: 'user' },
    });
    expect(posted.status).toBe(200);
    const got = await fetch(`${base}/v3/directline/conversations/${c.conversationId}/activities`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    const { activities } = (await got.json()) as { activities: { text?: string; from: { role?: string } }[] };
    const mine = activities.filter((a) => a.text?.startsWith('where is my repair?'));
    expect(mine.map((a) => a.text)).toEqual([text.slice(0, 1000) + ' […]']);
  });
});

describe('the Bot Framework endpoint, admin sign-in and agents’ events', () => {
  test('POST /api/messages: requests per client IP, then 429', async () => {
    const { base } = await start({ RATE_LIMITS: 'on', RATE_LIMIT_REQUESTS_PER_MINUTE: '3' }, opened);
    const post = () =>
      fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(400);
    await expectLimited(await post());
  });

  test('Bot Framework messages per conversation: Teams cannot show a 429, so the bot says it, once a window', async () => {
    // The Bot Connector the replies go to (as Azure Bot Service would receive them).
    const texts: string[] = [];
    const connector = express().use(express.json());
    connector.post(/.*/, (req, res) => {
      if ((req.body as { type?: string }).type === 'message') texts.push((req.body as { text: string }).text);
      res.json({ id: `r${texts.length}` });
    });
    const listening = await listenOnLoopback(connector);
    try {
      const { base } = await start({ ...LOW, RATE_LIMIT_MESSAGES_PER_MINUTE: '2' }, opened);
      const conversation = { id: `limits-${randomBytes(6).toString('hex')}` };
      let n = 0;
      const post = async (text: string) => {
        const before = texts.length;
        const activity = {
          type: 'message',
          id: `${conversation.id}|${++n}`,
          channelId: 'webchat',
          serviceUrl: `${listening.base}/`,
          conversation,
          from: { id: 'user-1', name: 'You' },
          recipient: { id: 'bot', name: 'Bot' },
          locale: 'en-US',
          text,
        };
        const res = await fetch(`${base}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(activity),
        });
        expect(res.status).toBeLessThan(300);
        return texts.slice(before);
      };
      for (let i = 0; i < 2; i++) expect((await post('where is my repair?')).length).toBeGreaterThan(0);
      expect(await post('where is my repair?')).toEqual([SLOW_DOWN.en]);
      expect(await post('where is my repair?')).toEqual([]);
    } finally {
      await listening.close();
    }
  });

  test('admin: past the sign-in failures even the right token is refused; another client is not', async () => {
    const ADMIN = randomBytes(24).toString('base64url');
    const { base } = await start(
      {
        RATE_LIMITS: 'on',
        RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: '3',
        TRUST_PROXY: 'loopback',
        ADMIN_TOKENS: `admin:admin:${ADMIN}`,
      },
      opened,
    );
    const me = (token: string, ip = '203.0.113.10') =>
      fetch(`${base}/api/admin/me`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ip } });
    expect((await me(ADMIN)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await me(`wrong-${i}`)).status).toBe(401);
    expect(await expectLimited(await me(ADMIN))).toMatch(/failed admin sign-ins/);
    expect((await me(ADMIN, '203.0.113.11')).status).toBe(200);
  });

  test('agents’ events: counted per client IP before the signature is checked, then 429', async () => {
    const { base, config } = await start({ RATE_LIMITS: 'on', RATE_LIMIT_AGENT_EVENTS_PER_MINUTE: '2' }, opened);
    const event = (secret: string) => {
      const body = JSON.stringify({ type: 'agent.typing', conversationId: 'nope', agent: { name: 'Ana' } });
      const id = `msg_${randomBytes(12).toString('base64url')}`;
      const at = new Date();
      return fetch(`${base}/api/agent/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, at, body),
        },
        body,
      });
    };
    // Signed: the signature holds and the unknown conversation is refused; badly signed: 401. Both count.
    expect((await event(config.handoff.agentSecret)).status).toBe(404);
    expect((await event('whsec_' + randomBytes(24).toString('base64'))).status).toBe(401);
    await expectLimited(await event(config.handoff.agentSecret));
  });
});

describe('counters, switches and addresses', () => {
  test('two instances on one SQLite file share the counters', async () => {
    const file = join(tmp, 'shared.db');
    const one = await start({ ...LOW, SQLITE_FILE: file }, opened);
    const two = await start({ ...LOW, SQLITE_FILE: file }, opened);
    for (let i = 0; i < 3; i++) expect((await newWidgetConversation(one.base)).status).toBe(201);
    await expectLimited(await newWidgetConversation(two.base));
  });

  test('RATE_LIMITS=off lifts every limit', async () => {
    const { base } = await start({ ...LOW, RATE_LIMITS: 'off', RATE_LIMIT_REQUESTS_PER_MINUTE: '2' }, opened);
    for (let i = 0; i < 6; i++) expect((await newWidgetConversation(base)).status).toBe(201);
    const c = await widgetConversation(base);
    for (let i = 0; i < 6; i++) expect((await say(base, c, { text: 'where is my repair?' })).status).toBe(200);
  });

  test('without TRUST_PROXY, X-Forwarded-For is ignored: a new address each time still counts as one client', async () => {
    const { base } = await start(LOW, opened);
    for (let i = 0; i < 3; i++)
      expect((await newWidgetConversation(base, { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(201);
    await expectLimited(await newWidgetConversation(base, { 'x-forwarded-for': '198.51.100.99' }));
  });

  test('with TRUST_PROXY=loopback, each forwarded client has its own counter', async () => {
    const { base } = await start({ ...LOW, TRUST_PROXY: 'loopback' }, opened);
    const from = (ip: string) => newWidgetConversation(base, { 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++) expect((await from('198.51.100.1')).status).toBe(201);
    await expectLimited(await from('198.51.100.1'));
    // A spoofed first hop does not help: the proxy's own entry (the last one) is the client.
    await expectLimited(await from('192.0.2.50, 198.51.100.1'));
    expect((await from('198.51.100.2')).status).toBe(201);
  });
});

describe('quotas', () => {
  async function transcript(base: string, c: Conv) {
    const res = await fetch(`${base}/api/conversations/${c.conversationId}/messages`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    return ((await res.json()) as { messages: { from: string; text: string }[] }).messages;
  }

  test('past MAX_MESSAGES_PER_CONVERSATION the bot says so and offers a person; nothing more is stored', async () => {
    const { base } = await start({ MAX_MESSAGES_PER_CONVERSATION: '10' }, opened);
    const c = await widgetConversation(base);
    let replies: { text: string; suggestions?: { value: string }[] }[] = [];
    for (let i = 0; i < 12 && !replies[0]?.text.includes('maximum length'); i++) {
      const res = await say(base, c, { text: 'where is my repair?' });
      expect(res.status).toBe(200);
      replies = ((await res.json()) as { replies: typeof replies }).replies;
    }
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/maximum length \(10 messages\).*new conversation.*person/);
    expect(replies[0]!.suggestions?.map((s) => s.value)).toEqual(['handoff']);
    const stored = (await transcript(base, c)).length;
    expect(stored).toBe(11); // the quota, and its notice once
    const again = (await (await say(base, c, { text: 'hello?' })).json()) as { replies: typeof replies };
    expect(again.replies[0]!.text).toMatch(/maximum length/);
    expect((await transcript(base, c)).length).toBe(stored);
    // Asking for a person still goes through.
    const person = (await (await say(base, c, { action: 'handoff' })).json()) as {
      replies: { source: { kind: string } }[];
    };
    expect(person.replies[0]!.source.kind).toBe('handoff');
  });

  test('MAX_MESSAGE_CHARS on the widget: stored cut with the marker, and the bot says it read the beginning', async () => {
    const { base } = await start({ MAX_MESSAGE_CHARS: '1000' }, opened);
    const c = await widgetConversation(base);
    const text = 'where is my repair? '.repeat(250);
    const res = await say(base, c, { text });
    expect(res.status).toBe(200);
    const { replies } = (await res.json()) as { replies: { text: string }[] };
    expect(replies[0]!.text).toMatch(/long/i);
    const mine = (await transcript(base, c)).filter((m) => m.from === 'customer');
    expect(mine.map((m) => m.text)).toEqual([text.slice(0, 1000) + ' […]']);
  });
});
