/**
 * Chatwoot as the agents' helpdesk over real HTTP on loopback: the app (buildApp, a temp SQLite file) talks to a
 * fake Chatwoot (test/support/fakeChatwoot.ts, a real server on 127.0.0.1:0) through the 'chatwoot' outbox worker,
 * and Chatwoot's webhooks (fixtures from its source, test/fixtures/chatwoot/) come back signed to
 * POST /api/chatwoot/webhook/<token>. Customers use the widget API and Direct Line (Web Chat).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ChatwootChannel } from '../../src/channels/chatwoot/channel';
import { startApp, type App, type StartedApp } from '../support/app';
import { hoursAroundNow } from '../support/config';
import { startFakeChatwoot, type FakeChatwoot } from '../support/fakeChatwoot';
import { INBOX, messageCreated, statusChanged, typingOn } from '../fixtures/chatwoot/payloads';

const API_TOKEN = `cw-${randomBytes(12).toString('hex')}`;
const WEBHOOK_TOKEN = randomBytes(18).toString('base64url');
const WEBHOOK_SECRET = randomBytes(24).toString('hex');
const ACCOUNT_ID = 1;

interface Conv {
  conversationId: string;
  token: string;
}
interface Message {
  id: number;
  from: 'customer' | 'bot' | 'agent';
  text: string;
  source?: { kind: string; id?: string };
}

let fake: FakeChatwoot;
let running: StartedApp | undefined;
let app: App;
let base: string;
let messageIds = 5000;

beforeAll(async () => {
  fake = await startFakeChatwoot({ accountId: ACCOUNT_ID, token: API_TOKEN });
  running = await startApp({
    HANDOFF_WEBHOOK_URL: '',
    HANDOFF_TRIGGERS: '',
    HANDOFF_HOURS: hoursAroundNow(true),
    // Three attempts a millisecond apart, then a dead letter.
    HANDOFF_RETRY_SCHEDULE_MS: '1,1',
    CHATWOOT_URL: fake.base,
    CHATWOOT_ACCOUNT_ID: String(ACCOUNT_ID),
    CHATWOOT_INBOX_ID: String(INBOX.id),
    CHATWOOT_API_TOKEN: API_TOKEN,
    CHATWOOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    CHATWOOT_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
  ({ app, base } = running);
});

afterAll(async () => {
  await running?.close();
  await fake?.close();
});

const chatwoot = () => app.channels.find((c) => c.name === 'chatwoot') as ChatwootChannel;
const deliver = () => app.chatwootDelivery!.runOnce();

async function createConversation(): Promise<Conv> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang: 'fr' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Conv;
}

async function say(conv: Conv, text: string): Promise<void> {
  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
}

async function messages(conv: Conv): Promise<Message[]> {
  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    headers: { authorization: `Bearer ${conv.token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Message[] }).messages;
}

/** A widget conversation handed to a person, its handoff delivered to the fake: the Chatwoot conversation id. */
async function handedOff(): Promise<{ conv: Conv; cw: number }> {
  const conv = await createConversation();
  await say(conv, 'je veux parler à un conseiller');
  expect((await app.engine.getConversation(conv.conversationId))!.handoff).toMatchObject({ status: 'queued' });
  expect((await deliver()).delivered).toBeGreaterThanOrEqual(1);
  return { conv, cw: await chatwootConversationOf(conv.conversationId) };
}

async function chatwootConversationOf(ours: string): Promise<number> {
  const found = [...fake.conversations].find(([, a]) => a.savbot_conversation_id === ours);
  expect(found).toBeDefined();
  return found![0];
}

function signed(body: string, at = Math.floor(Date.now() / 1000), secret = WEBHOOK_SECRET) {
  const sig = createHmac('sha256', secret).update(`${at}.${body}`).digest('hex');
  return { 'x-chatwoot-timestamp': String(at), 'x-chatwoot-signature': `sha256=${sig}` };
}

async function webhook(payload: unknown, o: { token?: string; headers?: Record<string, string> } = {}) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${base}/api/chatwoot/webhook/${o.token ?? WEBHOOK_TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.headers ?? signed(body)) },
    body,
  });
  await chatwoot().idle();
  return res;
}

/** A counter's value on GET /metrics (0 when absent). */
async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  return hit ? Number(hit.slice(line.length + 1)) : 0;
}

const agentSays = (cw: number, content: string, extra: Partial<Parameters<typeof messageCreated>[0]> = {}) =>
  messageCreated({ id: messageIds++, conversationId: cw, content, ...extra });

describe('a handoff reaches Chatwoot', () => {
  test('contact, conversation and transcript note are posted with the token; a later message is relayed as incoming', async () => {
    const before = fake.requests.length;
    const { conv, cw } = await handedOff();
    const sent = fake.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /api/v1/accounts/${ACCOUNT_ID}/contacts`,
      `POST /api/v1/accounts/${ACCOUNT_ID}/conversations`,
      `POST /api/v1/accounts/${ACCOUNT_ID}/conversations/${cw}/messages`,
    ]);
    expect(sent.every((r) => r.token === API_TOKEN)).toBe(true);
    expect(sent[0]!.body).toMatchObject({ inbox_id: INBOX.id });
    expect(sent[1]!.body).toMatchObject({
      inbox_id: INBOX.id,
      contact_id: expect.any(Number),
      source_id: expect.any(String),
      status: 'open',
      custom_attributes: { savbot_conversation_id: conv.conversationId },
    });
    const note = sent[2]!.body!;
    expect(note).toMatchObject({ message_type: 'outgoing', private: true });
    expect(note.content).toContain('reason customer-request');
    expect(note.content).toMatch(/\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] Customer: je veux parler à un conseiller/);
    expect(note.content).toMatch(/\] Bot: /);

    const delivered = await metric('savbot_outbox_deliveries_total{target="chatwoot"}');
    await say(conv, 'mon colis est arrivé abîmé');
    expect(await deliver()).toEqual({ delivered: 1, failed: 0 });
    // Counted under its target in /metrics, not as a webhook delivery.
    expect(await metric('savbot_outbox_deliveries_total{target="chatwoot"}')).toBe(delivered + 1);
    expect(await metric('savbot_webhook_deliveries_total')).toBe(0);
    const relayed = fake.requests.at(-1)!;
    expect(relayed.path).toBe(`/api/v1/accounts/${ACCOUNT_ID}/conversations/${cw}/messages`);
    expect(relayed.body).toEqual({ content: 'mon colis est arrivé abîmé', message_type: 'incoming', private: false });
  });

  test('a customer with an email already in Chatwoot gets the same contact again', async () => {
    fake.contactsByEmail.set('ana@example.com', { id: 77, sourceId: 'src-77' });
    const conv = await createConversation();
    await say(conv, 'mon email est ana@example.com');
    await say(conv, 'je veux parler à un conseiller');
    const before = fake.requests.length;
    await deliver();
    const sent = fake.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v1/accounts/${ACCOUNT_ID}/contacts/search`,
      `POST /api/v1/accounts/${ACCOUNT_ID}/conversations`,
      expect.stringMatching(/^POST .*\/messages$/),
    ]);
    expect(sent[0]!.query).toEqual({ q: 'ana@example.com' });
    expect(sent[1]!.body).toMatchObject({ contact_id: 77, source_id: 'src-77' });
  });
});

describe("Chatwoot's webhooks", () => {
  test("an agent's public reply is shown in the widget, once, with the agent's name; private notes and our own posts are not", async () => {
    const { conv, cw } = await handedOff();
    const reply = agentSays(cw, 'Bonjour, ici Marie. Je regarde votre commande.');
    const res = await webhook(reply);
    expect(res.status).toBe(200);
    // The same message delivered twice (Chatwoot retries): shown once.
    expect((await webhook(reply)).status).toBe(200);
    await webhook(agentSays(cw, 'note interne: client fâché', { private: true }));
    await webhook(agentSays(cw, 'mon colis est arrivé abîmé', { messageType: 'incoming', sender: null }));
    await webhook(agentSays(cw, 'Conversation was marked resolved', { messageType: 'activity', sender: null }));
    await webhook(agentSays(cw, 'Rate us', { messageType: 'template', contentType: 'input_csat' }));

    const all = await messages(conv);
    const fromAgent = all.filter((m) => m.from === 'agent');
    expect(fromAgent.map((m) => m.text)).toEqual(['Bonjour, ici Marie. Je regarde votre commande.']);
    expect(fromAgent[0]!.source).toEqual({ kind: 'agent', id: 'Marie Curie' });
    expect(all.some((m) => m.from === 'bot' && m.text.includes('Marie Curie'))).toBe(true);
    expect((await app.engine.getConversation(conv.conversationId))!.handoff).toMatchObject({
      status: 'active',
      agentName: 'Marie Curie',
    });
    expect(all.some((m) => m.text.includes('note interne') || m.text === 'Rate us')).toBe(false);
  });

  test('typing is passed on to the customer', async () => {
    const { conv, cw } = await handedOff();
    const seen: string[] = [];
    const listener = (id: string, name: string) => id === conv.conversationId && seen.push(name);
    app.engine.events.on('typing', listener);
    try {
      await webhook(typingOn(cw));
      await webhook(typingOn(cw, true));
    } finally {
      app.engine.events.off('typing', listener);
    }
    expect(seen).toEqual(['Marie Curie']);
  });

  test('resolved in Chatwoot: the bot is back and asks the satisfaction question', async () => {
    const { conv, cw } = await handedOff();
    await webhook(agentSays(cw, 'Voilà, remboursement lancé.'));
    expect((await webhook(statusChanged(cw, 'resolved'))).status).toBe(200);
    expect((await app.engine.getConversation(conv.conversationId))!.handoff).toBeNull();
    const last = (await messages(conv)).slice(-2);
    expect(last.map((m) => m.from)).toEqual(['bot', 'bot']);
    expect(last[0]!.source).toEqual({ kind: 'handoff', id: 'completed' });
    expect(last[1]!.source).toEqual({ kind: 'dialog', id: 'csat' });
    // The bot's conversation.closed for a resolve by the agents asks nothing more of Chatwoot.
    const before = fake.requests.length;
    await deliver();
    expect(fake.requests.length).toBe(before);
  });

  test('a wrong token is a 404 and changes nothing; a missing or wrong signature is a 401', async () => {
    const { conv, cw } = await handedOff();
    const snapshot = async () => ({
      messages: await messages(conv),
      state: await app.engine.getConversation(conv.conversationId),
    });
    const before = await snapshot();
    const payload = agentSays(cw, 'faux agent');
    const wrong = await webhook(payload, { token: randomBytes(18).toString('base64url') });
    expect(wrong.status).toBe(404);
    expect((await webhook(payload, { token: WEBHOOK_TOKEN.slice(0, -1) })).status).toBe(404);
    expect((await webhook(payload, { headers: {} })).status).toBe(401);
    const body = JSON.stringify(payload);
    expect((await webhook(payload, { headers: signed(body, undefined, 'another secret') })).status).toBe(401);
    const old = Math.floor(Date.now() / 1000) - 3600;
    expect((await webhook(payload, { headers: signed(body, old) })).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });
});

describe('the customer cancels', () => {
  test('the Chatwoot conversation gets a note and is resolved; its resolved webhook then changes nothing', async () => {
    const { conv, cw } = await handedOff();
    await say(conv, 'annuler');
    expect((await app.engine.getConversation(conv.conversationId))!.handoff).toBeNull();
    const before = fake.requests.length;
    expect(await deliver()).toEqual({ delivered: 1, failed: 0 });
    const sent = fake.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /api/v1/accounts/${ACCOUNT_ID}/conversations/${cw}/messages`,
      `POST /api/v1/accounts/${ACCOUNT_ID}/conversations/${cw}/toggle_status`,
    ]);
    expect(sent[0]!.body).toMatchObject({ private: true, message_type: 'outgoing' });
    expect(sent[1]!.body).toEqual({ status: 'resolved' });
    const shown = await messages(conv);
    expect((await webhook(statusChanged(cw, 'resolved'))).status).toBe(200);
    expect(await messages(conv)).toEqual(shown);
  });
});

describe('Web Chat (Direct Line)', () => {
  test("an agent's reply in Chatwoot reaches the Direct Line conversation", async () => {
    const DL = `${base}/v3/directline`;
    const start = await fetch(`${DL}/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(start.status).toBe(201);
    const dl = (await start.json()) as { conversationId: string; token: string };
    const auth = { authorization: `Bearer ${dl.token}`, 'content-type': 'application/json' };
    const posted = await fetch(`${DL}/conversations/${dl.conversationId}/activities`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        type: 'message',
        text: 'je veux parler à un conseiller',
        from: { id: 'u', role: 'user' },
      }),
    });
    expect(posted.status).toBe(200);
    await deliver();
    const cw = await chatwootConversationOf(dl.conversationId);
    await webhook(agentSays(cw, 'Bonjour depuis Chatwoot'));
    const got = await fetch(`${DL}/conversations/${dl.conversationId}/activities`, { headers: auth });
    const { activities } = (await got.json()) as {
      activities: { text?: string; channelData?: { agent?: { name: string } } }[];
    };
    const reply = activities.find((a) => a.text === 'Bonjour depuis Chatwoot');
    expect(reply?.channelData).toMatchObject({ agent: { name: 'Marie Curie' } });
  });
});

describe('without CHATWOOT_WEBHOOK_SECRET', () => {
  test('the token in the URL is enough (every Chatwoot version); another token is still a 404', async () => {
    const other = await startApp({
      HANDOFF_WEBHOOK_URL: '',
      HANDOFF_TRIGGERS: '',
      HANDOFF_HOURS: hoursAroundNow(true),
      CHATWOOT_URL: fake.base,
      CHATWOOT_ACCOUNT_ID: String(ACCOUNT_ID),
      CHATWOOT_INBOX_ID: String(INBOX.id),
      CHATWOOT_API_TOKEN: API_TOKEN,
      CHATWOOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    });
    try {
      const res = await fetch(`${other.base}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lang: 'fr' }),
      });
      const conv = (await res.json()) as Conv;
      const post = await fetch(`${other.base}/api/conversations/${conv.conversationId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
        body: JSON.stringify({ text: 'je veux parler à un conseiller' }),
      });
      expect(post.status).toBe(200);
      await other.app.chatwootDelivery!.runOnce();
      const cw = await chatwootConversationOf(conv.conversationId);
      const send = (token: string) =>
        fetch(`${other.base}/api/chatwoot/webhook/${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(agentSays(cw, 'Bonjour sans signature')),
        });
      expect((await send(`${WEBHOOK_TOKEN}x`)).status).toBe(404);
      expect((await send(WEBHOOK_TOKEN)).status).toBe(200);
      await (other.app.channels.find((c) => c.name === 'chatwoot') as ChatwootChannel).idle();
      const got = await other.app.engine.messagesPage(conv.conversationId, { after: 0, limit: 100 });
      expect(got.filter((m) => m.from === 'agent').map((m) => m.text)).toEqual(['Bonjour sans signature']);
    } finally {
      await other.close();
    }
  });
});

describe('Chatwoot down', () => {
  async function deadAfterRetries(conversationId: string): Promise<string | undefined> {
    // Three attempts (the first and the two of HANDOFF_RETRY_SCHEDULE_MS=1,1), each due a millisecond after the last.
    for (let i = 0; i < 50; i++) {
      const dead = (await app.store.listDead()).find(
        (e) => e.conversationId === conversationId && e.target === 'chatwoot',
      );
      if (dead) return dead.lastError;
      await deliver();
      await new Promise((r) => setTimeout(r, 5));
    }
    return undefined;
  }

  test('answers 500: retried, then a dead letter', async () => {
    fake.failWith = 500;
    try {
      const conv = await createConversation();
      await say(conv, 'je veux parler à un conseiller');
      const before = fake.requests.length;
      const dead = await metric('savbot_outbox_failures_total{target="chatwoot",kind="dead"}');
      expect(await deadAfterRetries(conv.conversationId)).toMatch(/HTTP 500/);
      expect(fake.requests.length - before).toBe(3);
      expect(await metric('savbot_outbox_failures_total{target="chatwoot",kind="dead"}')).toBe(dead + 1);
      expect(await metric('savbot_webhook_failures_total{kind="dead"}')).toBe(0);
    } finally {
      fake.failWith = undefined;
    }
  });

  test('port closed: retried, then a dead letter', async () => {
    await fake.close();
    const conv = await createConversation();
    await say(conv, 'je veux parler à un conseiller');
    const lastError = await deadAfterRetries(conv.conversationId);
    expect(lastError).toBeDefined();
    expect(lastError).not.toContain(API_TOKEN);
    const events = await app.store.events(conv.conversationId);
    expect(events.find((e) => e.target === 'chatwoot')).toMatchObject({ status: 'dead', attempts: 3 });
  });
});
