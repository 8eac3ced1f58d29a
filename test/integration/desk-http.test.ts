/**
 * The agent desk's HTTP API over real HTTP on loopback (the app built by buildApp, a temp SQLite file; two
 * instances on one PostgreSQL for the claim race across instances): sign-in, claim, reply, notes, transfer, close.
 */
import sharp from 'sharp';
import { DIALOG_MESSAGES } from '../../src/dialogs/messages';
import { deskClaimKey, deskNotesKey } from '../../src/domain/desk';
import { transferredText } from '../../src/engine/deskMessages';
import { HANDOFF_MESSAGES } from '../../src/handoff/messages';
import { startApp, type StartedApp } from '../support/app';
import { hoursAroundNow } from '../support/config';
import { freshPgDatabase } from '../support/postgres';

const ANNA = 'anna-token-0123456789abcdef';
const BORIS = 'boris-token-0123456789abcdef';
const AGENT_TOKENS = `Anna:${ANNA},Boris:${BORIS}`;
const ADMIN = 'admin-token-desk-privacy-0123456789';

interface Conv {
  conversationId: string;
  token: string;
}
interface Message {
  id: number;
  from: string;
  text: string;
  source?: { kind: string; id?: string };
}

let running: StartedApp;

beforeAll(async () => {
  running = await startApp({
    AGENT_TOKENS,
    ADMIN_TOKENS: `ada:admin:${ADMIN}`,
    HANDOFF_HOURS: hoursAroundNow(true),
    HANDOFF_TRIGGERS: '',
  });
});
afterAll(async () => {
  await running?.close();
});

async function call(base: string, path: string, token: string | undefined, body?: unknown, method = 'POST') {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined && method === 'POST' ? 'GET' : method,
    headers: {
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { message: string } } };
}
const get = (path: string, token?: string, base = running.base) => call(base, path, token);
const post = (path: string, token: string | undefined, body: unknown = {}, base = running.base) =>
  call(base, path, token, body);

/** A widget conversation waiting for a person. */
async function waiting(base = running.base, lang = 'fr'): Promise<Conv> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang }),
  });
  const conv = (await res.json()) as Conv;
  await customerSays(conv, lang === 'en' ? 'real person please' : 'je veux parler à un conseiller', base);
  return conv;
}

async function customerSays(conv: Conv, text: string, base = running.base) {
  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
}

/** What the customer's widget gets from GET messages. */
async function customerMessages(conv: Conv): Promise<Message[]> {
  const res = await fetch(`${running.base}/api/conversations/${conv.conversationId}/messages`, {
    headers: { authorization: `Bearer ${conv.token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Message[] }).messages;
}

const path = (conv: Conv, action = '') => `/api/desk/conversations/${conv.conversationId}${action}`;

describe('sign-in', () => {
  it('refuses every desk endpoint without a token or with an unknown one (401), and changes nothing', async () => {
    const conv = await waiting();
    const before = await customerMessages(conv);
    for (const token of [undefined, 'not-an-agent-token-at-all', `${ANNA}x`]) {
      expect((await get('/api/desk/me', token)).status).toBe(401);
      expect((await get('/api/desk/conversations', token)).status).toBe(401);
      expect((await get(path(conv), token)).status).toBe(401);
      expect((await post(path(conv, '/claim'), token)).status).toBe(401);
      expect((await post(path(conv, '/messages'), token, { text: 'hello' })).status).toBe(401);
      expect((await post(path(conv, '/notes'), token, { text: 'a note' })).status).toBe(401);
      expect((await post(path(conv, '/transfer'), token, { queue: 'billing' })).status).toBe(401);
      expect((await post(path(conv, '/close'), token)).status).toBe(401);
      expect((await get('/api/desk/events', token)).status).toBe(401);
    }
    expect(await customerMessages(conv)).toEqual(before);
    const state = await running.app.engine.getConversation(conv.conversationId);
    expect(state?.handoff?.status).toBe('queued');
    expect(await running.app.engine.notes(conv.conversationId)).toEqual([]);
  });

  it('knows the agent by the token', async () => {
    expect((await get('/api/desk/me', ANNA)).json).toEqual({ name: 'Anna' });
    expect((await get('/api/desk/me', BORIS)).json).toEqual({ name: 'Boris' });
  });

  it('serves the page under a CSP without inline script', async () => {
    const res = await fetch(`${running.base}/agent`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).toContain('<script src="/agent/desk.js" defer></script>');
    expect((await fetch(`${running.base}/agent/desk.js`)).status).toBe(200);
  });
});

describe('the desk', () => {
  it('lists a waiting conversation with its queue, language, reason and a preview', async () => {
    const conv = await waiting();
    await customerSays(conv, 'mon colis est abîmé');
    const list = (await get('/api/desk/conversations', ANNA)).json.conversations as Record<string, unknown>[];
    expect(list.find((c) => c.conversationId === conv.conversationId)).toMatchObject({
      queue: 'general',
      lang: 'fr',
      reason: 'customer-request',
      status: 'queued',
      preview: 'mon colis est abîmé',
    });
  });

  it('lets exactly one of two agents claiming at once have the conversation; the other is told who has it', async () => {
    const conv = await waiting();
    const [a, b] = await Promise.all([post(path(conv, '/claim'), ANNA), post(path(conv, '/claim'), BORIS)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? 'Anna' : 'Boris';
    const loser = a.status === 200 ? b : a;
    expect(loser.json.error?.message).toContain(`already taken by ${winner}`);
    const joined = (await customerMessages(conv)).filter((m) => m.text === HANDOFF_MESSAGES.fr.joined(winner));
    expect(joined).toHaveLength(1);
    expect((await running.app.engine.getConversation(conv.conversationId))?.handoff).toMatchObject({
      status: 'active',
      agentName: winner,
    });
  });

  it('sends the agent reply to the customer, and refuses one from an agent who does not hold it', async () => {
    const conv = await waiting();
    expect((await post(path(conv, '/messages'), ANNA, { text: 'too early' })).status).toBe(409);
    expect((await post(path(conv, '/claim'), ANNA)).status).toBe(200);
    expect((await post(path(conv, '/messages'), ANNA, { text: 'Bonjour, je regarde votre commande.' })).status).toBe(
      202,
    );
    const refused = await post(path(conv, '/messages'), BORIS, { text: 'me too' });
    expect(refused.status).toBe(409);
    expect(refused.json.error?.message).toContain('Anna');
    const texts = (await customerMessages(conv)).map((m) => [m.from, m.text]);
    expect(texts).toContainEqual(['agent', 'Bonjour, je regarde votre commande.']);
    expect(texts).not.toContainEqual(['agent', 'me too']);
    expect(texts).not.toContainEqual(['agent', 'too early']);
    // The customer's next message is in the desk's transcript.
    await customerSays(conv, 'merci !');
    const desk = (await get(path(conv), ANNA)).json.messages as Message[];
    expect(desk.map((m) => [m.from, m.text])).toContainEqual(['customer', 'merci !']);
  });

  it('keeps internal notes for agents only: never in the customer GET messages', async () => {
    const conv = await waiting();
    const secret = 'Client difficile, vérifier la facture 4411';
    expect((await post(path(conv, '/notes'), BORIS, { text: secret })).status).toBe(201);
    expect((await get(path(conv, '/notes'), ANNA)).json.notes).toMatchObject([{ agent: 'Boris', text: secret }]);
    expect((await get(path(conv), ANNA)).json.notes).toMatchObject([{ agent: 'Boris', text: secret }]);
    expect(JSON.stringify(await customerMessages(conv))).not.toContain('4411');
    expect(JSON.stringify(await running.app.engine.transcript(conv.conversationId))).not.toContain('4411');
  });

  it('transfers to another queue: waiting again there, the customer told in their language', async () => {
    const conv = await waiting(running.base, 'en');
    expect((await post(path(conv, '/claim'), ANNA)).status).toBe(200);
    expect((await post(path(conv, '/transfer'), BORIS, { queue: 'billing' })).status).toBe(409);
    expect((await post(path(conv, '/transfer'), ANNA, { queue: 'nowhere' })).status).toBe(400);
    expect((await post(path(conv, '/transfer'), ANNA, { queue: 'billing' })).status).toBe(200);
    expect((await running.app.engine.getConversation(conv.conversationId))?.handoff).toMatchObject({
      queue: 'billing',
      status: 'queued',
    });
    expect((await customerMessages(conv)).map((m) => m.text)).toContain(transferredText('en', 'billing'));
    // Waiting again: another agent may claim it now.
    expect((await post(path(conv, '/claim'), BORIS)).status).toBe(200);
  });

  it('closes: the bot is back and asks the satisfaction question', async () => {
    const conv = await waiting();
    expect((await post(path(conv, '/claim'), BORIS)).status).toBe(200);
    expect((await post(path(conv, '/close'), ANNA)).status).toBe(409);
    expect((await post(path(conv, '/close'), BORIS)).status).toBe(200);
    const last = (await customerMessages(conv)).slice(-2).map((m) => m.text);
    expect(last).toEqual([HANDOFF_MESSAGES.fr.completed, DIALOG_MESSAGES.fr.csatQuestion]);
    expect((await running.app.engine.getConversation(conv.conversationId))?.handoff).toBeNull();
  });

  it("shows the customer's files with a same-origin signed link that serves them", async () => {
    const conv = await waiting();
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'colis.png');
    const up = await fetch(`${running.base}/api/conversations/${conv.conversationId}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conv.token}` },
      body: form,
    });
    expect(up.status).toBe(201);
    const messages = (await get(path(conv), ANNA)).json.messages as (Message & {
      attachments?: { name: string; contentType: string; url: string }[];
    })[];
    const file = messages.flatMap((m) => m.attachments ?? [])[0]!;
    expect(file).toMatchObject({ name: 'colis.png', contentType: 'image/png' });
    expect(file.url).toMatch(/^\/api\/conversations\/[^/]+\/attachments\/[^?]+\?expires=\d+&sig=/);
    const res = await fetch(`${running.base}${file.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/png/);
    // The link is signed for this file only.
    const forged = file.url.replace(/sig=[^&]+/, 'sig=AAAA');
    expect((await fetch(`${running.base}${forged}`)).status).toBe(403);
  });

  it('finds knowledge-base answers in the customer language', async () => {
    const conv = await waiting(running.base, 'en');
    const r = await get(`${path(conv, '/answers')}?q=${encodeURIComponent('how do I return a product')}`, ANNA);
    expect(r.status).toBe(200);
    expect(r.json.lang).toBe('en');
    const answers = r.json.answers as { id: string; answer: string }[];
    expect(answers.length).toBeGreaterThan(0);
    const entry = running.app.engine.content.kb.entries.find((e) => e.id === answers[0]!.id)!;
    expect(answers[0]!.answer).toBe(entry.answer.en);
  });
});

describe('what the desk may read', () => {
  /** A widget conversation the bot alone has answered (nobody asked for a person). */
  async function botOnly(): Promise<Conv> {
    const res = await fetch(`${running.base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lang: 'fr' }),
    });
    const conv = (await res.json()) as Conv;
    await customerSays(conv, 'combien de temps dure la garantie ?');
    return conv;
  }

  it('refuses a conversation never handed to a person like an unknown id (404), every route, and changes nothing', async () => {
    const conv = await botOnly();
    const unknown: Conv = { conversationId: 'no-such-conversation', token: '' };
    const before = await customerMessages(conv);
    for (const c of [conv, unknown]) {
      const message = `conversation "${c.conversationId}" not found`;
      const answers = get(`${path(c, '/answers')}?q=${encodeURIComponent('retourner un produit')}`, ANNA);
      for (const [what, r] of [
        ['read', await get(path(c), ANNA)],
        ['notes', await get(path(c, '/notes'), ANNA)],
        ['answers', await answers],
        ['claim', await post(path(c, '/claim'), ANNA)],
        ['note', await post(path(c, '/notes'), ANNA, { text: 'a note' })],
        ['reply', await post(path(c, '/messages'), ANNA, { text: 'hello' })],
        ['transfer', await post(path(c, '/transfer'), ANNA, { queue: 'billing' })],
        ['close', await post(path(c, '/close'), ANNA, {})],
      ] as const)
        expect([what, r.status, r.json.error?.message]).toEqual([what, 404, message]);
      const stream = await fetch(`${running.base}${path(c, '/events')}`, {
        headers: { authorization: `Bearer ${ANNA}` },
      });
      expect([c.conversationId, stream.status]).toEqual([c.conversationId, 404]);
    }
    expect(await customerMessages(conv)).toEqual(before);
    expect(await running.app.store.getSetting(deskNotesKey(conv.conversationId))).toBeUndefined();
  });

  it('still reads one that was with a person and is back with the bot (transcript and notes)', async () => {
    const conv = await waiting();
    expect((await post(path(conv, '/claim'), ANNA)).status).toBe(200);
    expect((await post(path(conv, '/notes'), ANNA, { text: 'remboursé' })).status).toBe(201);
    expect((await post(path(conv, '/close'), ANNA, {})).status).toBe(200);
    const read = await get(path(conv), BORIS);
    expect(read.status).toBe(200);
    expect(read.json.notes).toMatchObject([{ agent: 'Anna', text: 'remboursé' }]);
    expect((read.json.conversation as { handoff: unknown }).handoff).toBeNull();
  });
});

describe("the desk's notes and a customer's data (GDPR)", () => {
  const admin = (what: string, body: unknown) => post(`/api/admin/privacy/${what}`, ADMIN, body);

  it('are in the export, found by what they hold, and erased with every row keyed by the conversation', async () => {
    const conv = await waiting();
    const id = conv.conversationId;
    expect((await post(path(conv, '/claim'), ANNA)).status).toBe(200);
    const text = 'Rappeler au 07 22 12 34 56, autre commande MV-4829301, mail dana.popescu@example.ro';
    expect((await post(path(conv, '/notes'), ANNA, { text })).status).toBe(201);
    // Only the note holds these: the customer never wrote them.
    for (const q of [{ email: 'Dana.Popescu@example.ro' }, { phone: '+40 722 123 456' }, { order: 'mv 4829301' }])
      expect([q, (await admin('search', q)).json.conversations]).toEqual([q, [id]]);
    const exported = (await admin('export', { email: 'dana.popescu@example.ro' })).json.conversations as {
      conversationId: string;
      internalNotes: unknown;
    }[];
    expect(exported).toEqual([
      expect.objectContaining({
        conversationId: id,
        internalNotes: [{ at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), agent: 'Anna', text }],
      }),
    ]);
    const handoffId = (await running.app.engine.getConversation(id))!.handoff!.id;
    expect(await running.app.store.getSetting(deskClaimKey(id, handoffId))).toBe('Anna');
    expect((await admin('erase', { order: 'MV-4829301' })).json.conversations).toEqual([id]);
    expect(await running.app.store.getSetting(deskNotesKey(id))).toBeUndefined();
    expect(await running.app.store.getSetting(deskClaimKey(id, handoffId))).toBeUndefined();
    expect((await get(path(conv), ANNA)).status).toBe(404);
    expect((await admin('search', { email: 'dana.popescu@example.ro' })).json.conversations).toEqual([]);
  });
});

describe('sign-in failures', () => {
  it('are limited per address like the admin sign-in: past the limit even a good token is refused', async () => {
    const app = await startApp({ AGENT_TOKENS, RATE_LIMITS: 'on', RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: '2' });
    try {
      expect((await get('/api/desk/me', 'wrong-token-number-one', app.base)).status).toBe(401);
      expect((await get('/api/desk/me', 'wrong-token-number-two', app.base)).status).toBe(401);
      expect((await get('/api/desk/me', 'wrong-token-number-three', app.base)).status).toBe(429);
      expect((await get('/api/desk/me', ANNA, app.base)).status).toBe(429);
    } finally {
      await app.close();
    }
  });
});

describe('live streams', () => {
  it('send the list, and are bounded per address like the customers streams (429 past STREAMS_PER_IP)', async () => {
    const app = await startApp({ AGENT_TOKENS, STREAMS_PER_IP: '2' });
    const open: AbortController[] = [];
    const stream = async (token: string) => {
      const c = new AbortController();
      open.push(c);
      return fetch(`${app.base}/api/desk/events`, { headers: { authorization: `Bearer ${token}` }, signal: c.signal });
    };
    try {
      const first = await stream(ANNA);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = first.body!.getReader();
      let text = '';
      while (!text.includes('event: list')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('"conversations":[]');
      expect((await stream(BORIS)).status).toBe(200);
      const third = await stream(ANNA);
      expect(third.status).toBe(429);
    } finally {
      for (const c of open) c.abort();
      await app.close();
    }
  });
});

describe('on PostgreSQL, two instances', () => {
  it('let exactly one of two agents claiming at once on different instances have the conversation', async () => {
    const db = await freshPgDatabase('savbot_desk');
    const env = { AGENT_TOKENS, DATABASE_URL: db.url, HANDOFF_HOURS: hoursAroundNow(true), HANDOFF_TRIGGERS: '' };
    let one: StartedApp | undefined;
    let two: StartedApp | undefined;
    try {
      one = await startApp(env);
      two = await startApp(env);
      for (let i = 0; i < 3; i++) {
        const conv = await waiting(one.base);
        const [a, b] = await Promise.all([
          post(path(conv, '/claim'), ANNA, {}, one.base),
          post(path(conv, '/claim'), BORIS, {}, two.base),
        ]);
        expect([a.status, b.status].sort()).toEqual([200, 409]);
        const winner = a.status === 200 ? 'Anna' : 'Boris';
        expect((await one.app.engine.getConversation(conv.conversationId))?.handoff?.agentName).toBe(winner);
        const joins = (await one.app.engine.transcript(conv.conversationId)).filter(
          (m) => m.source?.kind === 'agent' && m.from === 'bot',
        );
        expect(joins).toHaveLength(1);
      }
    } finally {
      await two?.close();
      await one?.close();
      await db.drop();
    }
  });
});
