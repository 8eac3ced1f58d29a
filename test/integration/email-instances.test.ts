/**
 * Email when nobody is online with two instances of the app (test/support/app.ts, real HTTP on loopback) on one real
 * PostgreSQL database, a real SMTP server on loopback (test/support/smtp.ts): who is reading live is seen by every
 * instance's mail worker, the offers job posts the offer once per handoff whatever the number of instances (also to
 * a silent Web Chat customer, through Direct Line's WebSocket), and /metrics counts the mails apart.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { presenceKey } from '../../src/domain/handoff';
import { hoursAroundNow } from '../support/config';
import { freshPgDatabase } from '../support/postgres';
import { startApp, type StartedApp } from '../support/app';
import { until } from '../support/cluster';
import { Inbox } from '../support/smtp';
import { agentSays as sayAsAgent, openConversation, sendMessage, type Conv } from '../support/customer';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

interface Activity {
  type: string;
  text?: string;
  suggestedActions?: { actions: { value: string }[] };
}

const inbox = new Inbox();
let db: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;
let a: StartedApp | undefined;
let b: StartedApp | undefined;
const A = () => a!;
const B = () => b!;

beforeAll(async () => {
  await inbox.start();
  db = await freshPgDatabase('savbot_email');
  const env = {
    DATABASE_URL: db.url,
    AGENT_WEBHOOK_SECRET: SECRET,
    HANDOFF_WEBHOOK_URL: '',
    HANDOFF_TRIGGERS: '',
    // Agents at work whatever the time of day; the offer is due as soon as the handoff is open.
    HANDOFF_HOURS: hoursAroundNow(true),
    HANDOFF_EMAIL_AFTER_MS: '0',
    HANDOFF_EMAIL_GRACE_MS: '0',
    SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
    MAIL_FROM: 'Service client <sav@shop.example>',
    PUBLIC_URL: 'https://bot.shop.example',
    DIRECTLINE_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  };
  // The first alone: it migrates the database.
  a = await startApp(env);
  b = await startApp(env);
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  await db?.drop();
  await inbox.stop();
});

beforeEach(() => {
  inbox.raw.length = 0;
});

const createConversation = (base: string) => openConversation(base);
const post = (base: string, conv: Conv, body: { text?: string; action?: string }) => sendMessage(base, conv, body);
const agentSays = (base: string, conv: Conv, text: string) => sayAsAgent(base, SECRET, conv, text);

async function offers(conversationId: string): Promise<number> {
  const messages = await A().app.engine.transcript(conversationId);
  return messages.filter((m) => m.source?.kind === 'handoff' && m.source.id === 'email-offer').length;
}

/** A counter's value in B's /metrics (0 when absent). */
async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${B().base}/metrics`)).text();
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  return hit ? Number(hit.slice(line.length + 1)) : 0;
}

describe('the offers job on two instances', () => {
  test('both jobs running at once: each waiting customer gets the offer once, then nothing more is due', async () => {
    const convs = [];
    for (let i = 0; i < 4; i++) {
      const conv = await createConversation(i % 2 ? A().base : B().base);
      await post(A().base, conv, { text: 'je veux parler à un conseiller' });
      convs.push(conv);
    }
    // The handoffs are open and nobody joined: due (HANDOFF_EMAIL_AFTER_MS=0), not made in the opening turn.
    for (const c of convs) expect(await offers(c.conversationId)).toBe(0);
    const made = await Promise.all([A().app.emailOffers!.runOnce(), B().app.emailOffers!.runOnce()]);
    expect(made[0]! + made[1]!).toBe(4);
    for (const c of convs) expect(await offers(c.conversationId)).toBe(1);
    expect(await Promise.all([A().app.emailOffers!.runOnce(), B().app.emailOffers!.runOnce()])).toEqual([0, 0]);
    for (const c of convs) {
      const state = await B().app.engine.getConversation(c.conversationId);
      expect(state!.email?.offeredFor).toBe(state!.handoff!.id);
    }
  });

  test('a silent Web Chat customer gets the offer on its Direct Line WebSocket (held by A, job run on B)', async () => {
    const start = await fetch(`${A().base}/v3/directline/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(start.status).toBe(201);
    const dl = (await start.json()) as Conv & { streamUrl: string };
    const activities: Activity[] = [];
    const ws = new WebSocket(dl.streamUrl);
    ws.on('message', (data) => activities.push(...(JSON.parse(String(data)) as { activities: Activity[] }).activities));
    try {
      await new Promise<void>((ok, fail) => (ws.once('open', () => ok()), ws.once('error', fail)));
      const sent = await fetch(`${A().base}/v3/directline/conversations/${dl.conversationId}/activities`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${dl.token}` },
        body: JSON.stringify({ type: 'message', text: 'je veux parler à un conseiller', from: { id: 'dl_user' } }),
      });
      expect(sent.status).toBe(200);
      // Web Chat gets the buttons as imBack actions, their label as the value.
      const isOffer = (x: Activity) =>
        x.suggestedActions?.actions.some((s) => s.value === 'Continuer par e-mail') === true;
      await until(() => activities.some((x) => /file d’attente|conseiller/.test(x.text ?? '')), 10_000, 'the queue');
      expect(activities.some(isOffer)).toBe(false);
      // The customer says nothing more; B's job finds the handoff and posts the offer, A's socket shows it.
      expect(await B().app.emailOffers!.runOnce()).toBe(1);
      await until(() => activities.some(isOffer), 10_000, 'the email offer on the WebSocket');
      expect(activities.find(isOffer)!.text).toContain('continuer par e-mail');
      expect(await A().app.emailOffers!.runOnce()).toBe(0);
      expect(activities.filter(isOffer)).toHaveLength(1);
    } finally {
      ws.close();
    }
  });
});

describe('mails and live streams on two instances', () => {
  test('no mail while the stream is open on A (reply and mail worker on B); a mail once it closed', async () => {
    const conv = await createConversation(A().base);
    await post(A().base, conv, { text: 'je veux parler à un conseiller' });
    await post(A().base, conv, { action: 'email:continue', text: 'Continuer par e-mail' });
    await post(A().base, conv, { text: 'lea.martin@exemple.fr' });
    expect((await A().app.engine.getConversation(conv.conversationId))!.email).toMatchObject({ replies: true });

    const abort = new AbortController();
    const stream = await fetch(`${A().base}/api/conversations/${conv.conversationId}/events`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${conv.token}` },
      signal: abort.signal,
    });
    try {
      expect(stream.status).toBe(200);
      // A recorded the open stream where B reads it (written when the stream opened, not per message).
      await until(
        async () => (await B().app.store.getSetting(presenceKey(conv.conversationId))) !== undefined,
        5_000,
        'the presence record',
      );
      expect(B().app.streams.limits.count(conv.conversationId)).toBe(0);
      await agentSays(B().base, conv, 'Je vous réponds en direct.');
      expect(await B().app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
      expect(inbox.raw).toHaveLength(0);
    } finally {
      abort.abort();
      await stream.body?.cancel().catch(() => undefined);
    }
    // Closed: A says so (with the time), so that a later reply is mailed.
    const closed = async () => {
      const raw = await B().app.store.getSetting(presenceKey(conv.conversationId));
      return raw !== undefined && (JSON.parse(raw) as { open: boolean }).open === false;
    };
    await until(closed, 5_000, 'the stream closed on A');
    const closedAt = (JSON.parse((await B().app.store.getSetting(presenceKey(conv.conversationId)))!) as { at: number })
      .at;
    await until(() => Date.now() > closedAt, 1_000, 'a reply after the close');
    const before = await metric('savbot_outbox_deliveries_total{target="email"}');
    await agentSays(B().base, conv, 'Votre colis part demain.');
    expect(await B().app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
    expect(inbox.raw).toHaveLength(1);
    const [mail] = await inbox.mails();
    expect(mail!.to).toMatchObject({ value: [{ address: 'lea.martin@exemple.fr' }] });
    expect(mail!.text).toContain('Votre colis part demain.');
    expect(mail!.text).not.toContain('Je vous réponds en direct.');
    // The delivered mail in /metrics under its own target, the webhook's own counter untouched.
    expect(await metric('savbot_outbox_deliveries_total{target="email"}')).toBe(before + 1);
    expect(await metric('savbot_webhook_deliveries_total')).toBe(0);
    // Erased with the conversation: when its customer was last reading live goes too.
    await B().app.privacy.erase({ email: 'lea.martin@exemple.fr' }, 'test');
    expect(await A().app.store.getSetting(presenceKey(conv.conversationId))).toBeUndefined();
  });
});
