/**
 * The Bot Framework channel over real HTTP on loopback: Activity JSON shaped like Microsoft Teams and Web Chat
 * traffic is posted to POST /api/messages of the real app (buildApp, a temp SQLite file), and the bot's replies are
 * captured by a fake Bot Connector (express on loopback) named as the activities' serviceUrl, exactly where Azure
 * Bot Service would receive them: POST /v3/conversations/{id}/activities[/{replyToId}].
 */
import { createSign, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MsalTokenProvider } from '@microsoft/agents-hosting';
import express from 'express';
import { Webhook } from 'standardwebhooks';
import { startApp, type App, type StartedApp } from '../support/app';
import { hoursAroundNow, testConfig } from '../support/config';
import { listenOnLoopback, startBotProcess } from '../support/processes';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const BOT = { id: '28:6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e', name: 'SAV Bot' };

interface Captured {
  conversationId: string;
  replyToId?: string;
  authorization?: string;
  activity: {
    type: string;
    text?: string;
    replyToId?: string;
    suggestedActions?: { actions: { type: string; title: string; value: unknown }[] };
    conversation?: { id: string };
    recipient?: { id: string };
    from?: { id: string };
    channelData?: { agent?: { name: string } };
    attachments?: { contentType: string; content: { text?: string; buttons?: { type: string; value: unknown }[] } }[];
  };
}

/** The Bot Connector service of Azure Bot Service, as far as the bot uses it. */
async function fakeConnector() {
  const received: Captured[] = [];
  /** Inline images of Teams messages (GET {serviceUrl}v3/attachments/:id/views/original), with who asked. */
  const fileGets: { path: string; authorization?: string }[] = [];
  const app = express();
  app.use(express.json());
  app.get(/\/v3\/attachments\/[^/]+\/views\/original$/, (req, res) => {
    fileGets.push({
      path: req.path,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    // The smallest PNG: one pixel.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
    res.type('image/png').send(Buffer.from(png, 'base64'));
  });
  app.post(/.*/, (req, res) => {
    // The conversation id is not URL-encoded by the SDK (Teams ids hold ':' ';' '@'), so the path is split by hand.
    const m = /\/v3\/conversations\/(.+?)\/activities(?:\/([^/]+))?$/.exec(decodeURIComponent(req.path));
    if (!m) return void res.status(404).json({ error: { code: 'NotFound', message: req.path } });
    received.push({
      conversationId: m[1]!,
      ...(m[2] ? { replyToId: m[2] } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      activity: req.body,
    });
    res.status(200).json({ id: `reply-${received.length}` });
  });
  const listening = await listenOnLoopback(app);
  return { received, fileGets, ...listening };
}

let seq = 0;
const activityId = () => `1700000${String(++seq).padStart(6, '0')}`;

function teamsPersonal(serviceUrl: string, user = `29:1Xb${randomBytes(8).toString('hex')}`) {
  const conversationId = `a:1Xb${randomBytes(12).toString('base64url')}`;
  const base = {
    channelId: 'msteams',
    serviceUrl,
    from: { id: user, name: 'Ioana Popescu', aadObjectId: randomUUID() },
    recipient: BOT,
    conversation: { id: conversationId, conversationType: 'personal', tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    locale: 'fr-FR',
  };
  return {
    conversationId,
    message: (text: string) => ({
      ...base,
      type: 'message',
      id: activityId(),
      timestamp: new Date().toISOString(),
      text,
      textFormat: 'plain',
      entities: [{ type: 'clientInfo', locale: 'fr-FR', country: 'FR', platform: 'Web' }],
    }),
    added: () => ({ ...base, type: 'conversationUpdate', id: activityId(), membersAdded: [{ id: BOT.id }] }),
  };
}

function teamsChannel(serviceUrl: string) {
  const thread = `19:${randomBytes(10).toString('hex')}@thread.tacv2`;
  const conversationId = `${thread};messageid=${activityId()}`;
  return {
    conversationId,
    thread,
    mention: (text: string) => ({
      type: 'message',
      id: activityId(),
      channelId: 'msteams',
      serviceUrl,
      from: { id: '29:1Ana', name: 'Ana Dumitru', aadObjectId: randomUUID() },
      recipient: BOT,
      conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId: TENANT },
      channelData: {
        teamsChannelId: thread,
        teamsTeamId: thread,
        channel: { id: thread },
        team: { id: thread },
        tenant: { id: TENANT },
      },
      locale: 'fr-FR',
      text: `<at>${BOT.name}</at> ${text}`,
      textFormat: 'plain',
      entities: [{ type: 'mention', mentioned: BOT, text: `<at>${BOT.name}</at>` }],
    }),
  };
}

function webchat(serviceUrl: string, locale = 'en-US') {
  const conversationId = `${randomBytes(11).toString('base64url')}-eu`;
  const user = { id: `dl_${randomBytes(6).toString('hex')}`, name: 'You' };
  const bot = { id: 'savbot', name: 'SAV Bot' };
  const base = { channelId: 'webchat', serviceUrl, conversation: { id: conversationId }, locale };
  return {
    conversationId,
    joined: () => ({
      ...base,
      type: 'conversationUpdate',
      id: `${conversationId}|0000000`,
      from: user,
      recipient: bot,
      membersAdded: [bot, user],
    }),
    message: (text: string) => ({
      ...base,
      type: 'message',
      id: `${conversationId}|${String(++seq).padStart(7, '0')}`,
      from: user,
      recipient: bot,
      text,
      textFormat: 'plain',
    }),
  };
}

/** This file's apps: the test defaults, a SQLite file in `dir`, the Bot Connector queue updates at once. */
const settings = (dir: string, env: Record<string, string> = {}) => ({
  SQLITE_FILE: join(dir, 'bot.db'),
  BOT_QUEUE_UPDATE_MS: '0',
  // Agents at work whatever the time of day the suite runs (the queue tests expect a place in the queue).
  HANDOFF_HOURS: hoursAroundNow(true),
  ...env,
});

/** Wait until `check` passes (the proactive sends run after the agent's request is answered). */
async function eventually(check: () => void, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((ok) => setTimeout(ok, 20));
    }
  }
}

describe('Bot Framework channel (no credentials: development, Bot Framework Emulator)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-bf-'));
  let app: App;
  let server: StartedApp;
  let connector: Awaited<ReturnType<typeof fakeConnector>>;
  let serviceUrl: string;
  const config = testConfig(settings(dir));

  async function start() {
    server = await startApp(settings(dir));
    app = server.app;
  }
  async function stop() {
    await server?.close();
  }

  beforeAll(async () => {
    connector = await fakeConnector();
    serviceUrl = `${connector.base}/amer/`;
    await start();
  });
  afterAll(async () => {
    await stop();
    await connector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** POST an activity; resolves when the bot answered the HTTP request (replies in the turn are posted by then). */
  async function post(activity: object): Promise<{ status: number; body: string; sent: Captured[] }> {
    const before = connector.received.length;
    const res = await fetch(`${server.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    return { status: res.status, body: await res.text(), sent: connector.received.slice(before) };
  }
  const messagesOf = (sent: Captured[]) => sent.filter((c) => c.activity.type === 'message');

  async function agentEvent(event: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify(event);
    const id = `msg_${randomBytes(12).toString('base64url')}`;
    const at = new Date();
    const res = await fetch(`${server.base}/api/agent/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(config.handoff.agentSecret).sign(id, at, body),
      },
      body,
    });
    expect(res.status).toBe(202);
  }

  /** Our conversation for a channel conversation. */
  async function ours(channelId: string, external: string): Promise<string> {
    const ref = await app.store.channelRefByExternal(channelId, external);
    expect(ref).toBeDefined();
    return ref!.conversationId;
  }

  test('Teams personal chat: welcome when the bot is installed, in the locale language, with at most 3 buttons', async () => {
    const t = teamsPersonal(serviceUrl);
    const { status, sent } = await post(t.added());
    expect(status).toBe(200);
    const [welcome, ...rest] = messagesOf(sent);
    expect(rest).toEqual([]);
    expect(welcome!.conversationId).toBe(t.conversationId);
    expect(welcome!.activity.text).toMatch(/^Bonjour ! Je suis l'assistant du service après-vente/);
    expect(welcome!.activity.recipient?.id).toMatch(/^29:1Xb/);
    // The greeting entry's buttons (its follow-ups, by title), the first 3 of them (Teams shows no more), as imBack.
    const kb = app.engine.content.kb;
    const byId = new Map(kb.entries.map((e) => [e.id, e]));
    const labels = byId
      .get('greeting')!
      .followUps.map((id) => byId.get(id)!)
      .map((e) => e.title.fr ?? e.questions.fr![0]!);
    expect(labels.length).toBeGreaterThan(0);
    expect(welcome!.activity.suggestedActions?.actions).toEqual(
      labels.slice(0, 3).map((l) => ({ type: 'imBack', title: l, value: l })),
    );
    // A second install event does not greet again.
    expect(messagesOf((await post(t.added())).sent)).toEqual([]);
  });

  test('Teams personal chat: a reply to the message (typing first), 3 imBack buttons and the full list in the text', async () => {
    const t = teamsPersonal(serviceUrl);
    const msg = t.message('combien de temps');
    const { status, sent } = await post(msg);
    expect(status).toBe(200);
    expect(sent.map((c) => c.activity.type)).toEqual(['typing', 'message']);
    const reply = sent[1]!;
    expect(reply).toMatchObject({ conversationId: t.conversationId, replyToId: msg.id });
    expect(reply.activity.text).toMatch(/^Je ne suis pas sûr d’avoir compris/);
    expect(reply.activity.suggestedActions!.actions.map((a) => [a.type, typeof a.value, a.value === a.title])).toEqual([
      ['imBack', 'string', true],
      ['imBack', 'string', true],
      ['imBack', 'string', true],
    ]);
    // The fallback's topics: those of the closest entries first ("combien de temps": warranty, repairs), then the main ones.
    for (const label of [
      'Garantie',
      'Réparations',
      'Facturation et paiement',
      'Nous contacter',
      'Parler à un conseiller',
    ])
      expect(reply.activity.text).toContain(`• ${label}`);
    // The customer's conversation is ours, on the msteams channel, with the Teams address stored.
    const ref = await app.store.channelRefByExternal('msteams', t.conversationId);
    expect(ref).toMatchObject({
      serviceUrl,
      conversation: { id: t.conversationId, conversationType: 'personal', tenantId: TENANT },
      bot: BOT,
      locale: 'fr-FR',
    });
    expect((await app.engine.getConversation(ref!.conversationId))!.channel).toBe('msteams');
  });

  test('did you mean: the options as imBack buttons, the click (the label typed back) answers the chosen entry', async () => {
    const t = teamsPersonal(serviceUrl);
    const [ask] = messagesOf((await post(t.message('colis'))).sent);
    expect(ask!.activity.text).toBe('Voulez-vous dire :');
    const actions = ask!.activity.suggestedActions!.actions;
    // Both entries in the order of their scores (the knowledge base decides), then "neither".
    const values = actions.map((a) => a.value as string);
    expect(values.slice(0, 2).sort()).toEqual(['Colis en retard ou non reçu', 'Colis ou produit abîmé à la livraison']);
    expect(values[2]).toBe('Aucun des deux');
    const [answer] = messagesOf((await post(t.message('Colis en retard ou non reçu'))).sent);
    expect(answer!.activity.text).toMatch(/^Si la date prévue est dépassée/);
    const transcript = await app.engine.transcript(await ours('msteams', t.conversationId));
    expect(transcript.at(-2)).toMatchObject({
      from: 'customer',
      text: 'Colis en retard ou non reçu',
      action: 'faq:delivery-delay',
    });
    expect(transcript.at(-1)).toMatchObject({ from: 'bot', source: { kind: 'faq', id: 'delivery-delay' } });
  });

  test('a message delivered twice (the channel retries a slow answer) is answered once', async () => {
    const t = teamsPersonal(serviceUrl);
    const msg = t.message('colis');
    expect(messagesOf((await post(msg)).sent)).toHaveLength(1);
    const again = await post(msg);
    expect(again.status).toBe(200);
    expect(again.sent).toEqual([]);
    expect(
      (await app.engine.transcript(await ours('msteams', t.conversationId))).filter((m) => m.from === 'customer'),
    ).toHaveLength(1);
  });

  test('Teams channel: the @mention is stripped, the reply goes to the thread, no buttons but the options in the text', async () => {
    const c = teamsChannel(serviceUrl);
    const msg = c.mention('colis');
    const [reply] = messagesOf((await post(msg)).sent);
    expect(reply).toMatchObject({ conversationId: c.conversationId, replyToId: msg.id });
    expect(reply!.activity.suggestedActions).toBeUndefined();
    expect(reply!.activity.text).toContain('• Colis en retard ou non reçu');
    const transcript = await app.engine.transcript(await ours('msteams', c.conversationId));
    expect(transcript[0]).toMatchObject({ from: 'customer', text: 'colis' });
    // Typing an option's label works like a click.
    const [answer] = messagesOf((await post(c.mention('Colis en retard ou non reçu'))).sent);
    expect(answer!.activity.text).toMatch(/^Si la date prévue est dépassée/);
  });

  test('Teams channel: an answer carries the 👍 👎 card (shown where suggested actions are not); a 👍 click is recorded', async () => {
    const c = teamsChannel(serviceUrl);
    const [answer] = messagesOf((await post(c.mention('combien coûte la livraison à domicile ?'))).sent);
    expect(answer!.activity.text).toMatch(/4,90 €/);
    expect(answer!.activity.suggestedActions).toBeUndefined();
    const card = answer!.activity.attachments![0]!;
    expect(card).toMatchObject({
      contentType: 'application/vnd.microsoft.card.hero',
      content: { text: 'Cette réponse vous a-t-elle aidé ?' },
    });
    const up = card.content.buttons![0]!;
    expect(up).toMatchObject({ type: 'messageBack', value: { action: 'feedback:up:delivery-options' } });
    // Teams posts a messageBack click as a message with the button's text and value (no @mention).
    const click = { ...c.mention(''), text: '👍', entities: [], value: up.value };
    const [thanks] = messagesOf((await post(click)).sent);
    expect(thanks!.activity.text).toBe('Merci pour votre retour !');
    const transcript = await app.engine.transcript(await ours('msteams', c.conversationId));
    expect(transcript.at(-2)).toMatchObject({ from: 'customer', text: '👍', action: 'feedback:up:delivery-options' });
    expect((await app.insights.figures({ since: '1h' })).helpfulness.byEntry['delivery-options']).toMatchObject({
      up: 1,
    });
  });

  test('Web Chat: welcome on join (new message, English from the locale), buttons as imBack with string values', async () => {
    const w = webchat(serviceUrl);
    const [welcome] = messagesOf((await post(w.joined())).sent);
    expect(welcome).toMatchObject({ conversationId: w.conversationId });
    expect(welcome!.replyToId).toBeUndefined();
    expect(welcome!.activity.text).toMatch(/^Hello! I'm the Maison Volta after-sales assistant/);
    const [reply] = messagesOf((await post(w.message('I do not get it at all, blorp'))).sent);
    expect(reply!.activity.suggestedActions!.actions).toHaveLength(5);
    for (const a of reply!.activity.suggestedActions!.actions) expect(typeof a.value).toBe('string');
    expect((await app.engine.getConversation(await ours('webchat', w.conversationId)))!.channel).toBe('webchat');
  });

  test('invoke activities are answered 200 and nothing is posted to the conversation', async () => {
    const t = teamsPersonal(serviceUrl);
    const { status, sent } = await post({
      ...t.message(''),
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb: 'x' } },
    });
    expect(status).toBe(200);
    expect(sent).toEqual([]);
  });

  test('activities larger than widget messages are accepted (Teams HTML, entities, cards); beyond 256 KB, 413', async () => {
    const t = teamsPersonal(serviceUrl);
    const padded = (kb: number) => ({
      ...t.message('colis'),
      attachments: [{ contentType: 'text/html', content: `<div>${'x'.repeat(kb * 1024)}</div>` }],
    });
    const ok = await post(padded(40));
    expect(ok.status).toBe(200);
    expect(messagesOf(ok.sent)[0]!.activity.text).toBe('Voulez-vous dire :');
    const big = await post(padded(300));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
  });

  test('an activity without a conversation is refused (400) before the engine', async () => {
    const { status, sent } = await post({ type: 'message', channelId: 'webchat', serviceUrl, text: 'hello' });
    expect(status).toBe(400);
    expect(sent).toEqual([]);
  });

  test('malformed activities are refused with 400 and a message naming what is wrong, not a server error', async () => {
    for (const body of [{}, { type: 42 }, { type: 'message', channelId: 7, conversation: 'x' }]) {
      const { status, body: text, sent } = await post(body as never);
      expect(status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ error: { code: expect.stringMatching(/^INVALID_/) } });
      expect(sent).toEqual([]);
    }
  });

  test('handoff: the agent joins and writes, the customer gets both proactively; the CSAT question after completion, a click on 5 records it', async () => {
    const t = teamsPersonal(serviceUrl);
    const [queued] = messagesOf((await post(t.message('je veux parler à un conseiller'))).sent).slice(-1);
    expect(queued!.activity.text).toMatch(/file d’attente|position|attente/i);
    const id = await ours('msteams', t.conversationId);
    const before = connector.received.length;
    await agentEvent({
      type: 'agent.message',
      conversationId: id,
      text: 'Bonjour, ici Marie. Je regarde votre commande.',
      agent: { name: 'Marie' },
    });
    await eventually(() =>
      expect(messagesOf(connector.received.slice(before)).map((c) => c.activity.text)).toEqual([
        'Marie a rejoint la conversation.',
        'Bonjour, ici Marie. Je regarde votre commande.',
      ]),
    );
    const [joined, said] = messagesOf(connector.received.slice(before));
    // Proactive: a new message in the conversation (no replyToId), to the customer.
    expect(joined).toMatchObject({ conversationId: t.conversationId });
    expect(joined!.replyToId).toBeUndefined();
    expect(said!.activity.channelData).toEqual({ agent: { name: 'Marie' } });
    expect(said!.activity.recipient?.id).toMatch(/^29:1Xb/);
    expect(said!.authorization).toBeUndefined(); // no credentials configured: no token

    // The agent typing shows as typing in Teams.
    const typingFrom = connector.received.length;
    await agentEvent({ type: 'agent.typing', conversationId: id, agent: { name: 'Marie' } });
    await eventually(() =>
      expect(connector.received.slice(typingFrom).map((c) => [c.conversationId, c.activity.type])).toEqual([
        [t.conversationId, 'typing'],
      ]),
    );

    const mid = connector.received.length;
    await agentEvent({ type: 'handoff.completed', conversationId: id });
    await eventually(() => expect(messagesOf(connector.received.slice(mid))).toHaveLength(2));
    const csat = messagesOf(connector.received.slice(mid))[1]!;
    expect(csat.activity.suggestedActions!.actions.map((a) => a.value)).toEqual(['1', '2', '3']);
    expect(csat.activity.text).toContain('• 5');
    const [thanks] = messagesOf((await post(t.message('5'))).sent);
    expect(thanks!.activity.text).toMatch(/merci/i);
    expect((await app.engine.getConversation(id))!.csat).toMatchObject({ score: 5 });
    expect((await app.store.events(id)).map((e) => e.type)).toContain('csat.received');
  });

  test('queue: a waiting customer is told when their place changes (an agent took the one ahead)', async () => {
    const first = teamsPersonal(serviceUrl);
    const second = webchat(serviceUrl, 'fr-FR');
    await post(first.message('je veux parler à un conseiller'));
    const [told] = messagesOf((await post(second.message('je veux parler à un conseiller'))).sent).slice(-1);
    expect(told!.activity.text).toMatch(/2/);
    const before = connector.received.length;
    const firstId = await ours('msteams', first.conversationId);
    await agentEvent({ type: 'agent.joined', conversationId: firstId, agent: { name: 'Paul' } });
    await eventually(() =>
      expect(
        messagesOf(connector.received.slice(before)).filter((c) => c.conversationId === second.conversationId),
      ).toHaveLength(1),
    );
    const update = messagesOf(connector.received.slice(before)).find(
      (c) => c.conversationId === second.conversationId,
    )!;
    expect(update.activity.text).not.toEqual(told!.activity.text);
    expect(update.activity.suggestedActions!.actions.map((a) => a.value)).toEqual(['Annuler la demande']);
    await agentEvent({ type: 'handoff.completed', conversationId: firstId });
    await agentEvent({ type: 'handoff.completed', conversationId: await ours('webchat', second.conversationId) });
  });

  test('after a restart (a new app on the same SQLite file), an agent message still reaches the Teams customer', async () => {
    const t = teamsPersonal(serviceUrl);
    await post(t.message('je veux parler à un conseiller'));
    const id = await ours('msteams', t.conversationId);
    await stop();
    await start();
    const before = connector.received.length;
    await agentEvent({ type: 'agent.message', conversationId: id, text: 'Toujours là ?', agent: { name: 'Marie' } });
    await eventually(() =>
      expect(
        messagesOf(connector.received.slice(before)).map((c) => [c.conversationId, c.activity.text]),
      ).toContainEqual([t.conversationId, 'Toujours là ?']),
    );
    await agentEvent({ type: 'handoff.completed', conversationId: id });
  });
});

/**
 * Microsoft Entra's signing keys for the bot's tenant, on loopback: the SDK fetches `{authority}/{tenant}/discovery/
 * v2.0/keys` for tokens that are not issued by api.botframework.com (its keys are at a fixed Microsoft address), so
 * the SDK's own `authorityEndpoint` setting points it here. The key pair is made by the test.
 */
async function entraKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${randomBytes(4).toString('hex')}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const fetched: string[] = [];
  const app = express();
  app.get(/.*/, (req, res) => {
    fetched.push(req.path);
    if (req.path === `/${TENANT}/discovery/v2.0/keys`) res.json({ keys: [jwk] });
    else res.status(404).json({ error: 'not found' });
  });
  return { ...(await listenOnLoopback(app)), kid, privateKey, fetched };
}

/** An RS256 JWT signed with `key`. */
function signJwt(key: KeyObject, header: object, claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', ...header })}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}

describe('Bot Framework channel with credentials (single tenant, signing keys on loopback)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-bf-auth-'));
  const appId = '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e';
  const otherTenant = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
  /** What MSAL would get from Entra for the replies (it only talks https to Microsoft's hosts: replaced here). */
  const OUTBOUND = `outbound-${randomBytes(8).toString('hex')}`;
  let app: App;
  let server: StartedApp;
  let connector: Awaited<ReturnType<typeof fakeConnector>>;
  let keys: Awaited<ReturnType<typeof entraKeys>>;
  let serviceUrl: string;
  let outboundToken: jest.SpyInstance;

  beforeAll(async () => {
    [connector, keys] = await Promise.all([fakeConnector(), entraKeys()]);
    serviceUrl = `${connector.base}/amer/`;
    // The SDK's own settings: `authorityEndpoint` from the environment, read again when TEST_MODE is on.
    const saved = { TEST_MODE: process.env.TEST_MODE, authorityEndpoint: process.env.authorityEndpoint };
    process.env.TEST_MODE = 'true';
    process.env.authorityEndpoint = keys.base;
    try {
      server = await startApp(
        settings(dir, {
          MICROSOFT_APP_ID: appId,
          MICROSOFT_APP_PASSWORD: 'not-a-real-secret',
          MICROSOFT_APP_TENANT_ID: TENANT,
          MICROSOFT_APP_TYPE: 'SingleTenant',
          // With an identity only Microsoft's hosts are allowed: the fake connector on loopback is named here.
          BOT_SERVICE_URL_ALLOW: new URL(connector.base).origin,
        }),
      );
      app = server.app;
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    outboundToken = jest.spyOn(MsalTokenProvider.prototype, 'getAccessToken').mockResolvedValue(OUTBOUND);
  });
  afterAll(async () => {
    outboundToken.mockRestore();
    await server?.close();
    await Promise.all([connector.close(), keys.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The claims of a token Azure Bot Service gets from Entra for a single-tenant bot, valid for 10 minutes. */
  const validClaims = () => {
    const now = Math.floor(Date.now() / 1000);
    return {
      aud: appId,
      iss: `https://sts.windows.net/${TENANT}/`,
      tid: TENANT,
      iat: now - 10,
      nbf: now - 10,
      exp: now + 600,
      serviceurl: serviceUrl,
    };
  };
  const token = (claims: object = {}, key: KeyObject = keys.privateKey, header: object = { kid: keys.kid }) =>
    signJwt(key, header, { ...validClaims(), ...claims });

  /** POST a Teams message with `authorization`; what came back, what reached the engine and the connector. */
  async function send(authorization: string | undefined) {
    const t = teamsPersonal(serviceUrl);
    const engineMessages: unknown[] = [];
    const listener = (...args: unknown[]) => engineMessages.push(args);
    const before = connector.received.length;
    app.engine.events.on('message', listener);
    try {
      const res = await fetch(`${server.base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(t.message('bonjour')),
      });
      await res.text();
      return {
        status: res.status,
        ref: await app.store.channelRefByExternal('msteams', t.conversationId),
        engineMessages,
        sent: connector.received.slice(before),
        conversationId: t.conversationId,
      };
    } finally {
      app.engine.events.off('message', listener);
    }
  }

  test('a correctly signed token is accepted: the message reaches the engine and the reply carries the bot token', async () => {
    outboundToken.mockClear();
    const r = await send(`Bearer ${token()}`);
    expect(r.status).toBe(200);
    expect(r.ref).toBeDefined();
    expect(r.engineMessages.length).toBeGreaterThan(0);
    const [reply] = r.sent.filter((c) => c.activity.type === 'message');
    expect(reply).toMatchObject({ conversationId: r.conversationId, authorization: `Bearer ${OUTBOUND}` });
    expect(outboundToken).toHaveBeenCalledWith('https://api.botframework.com');
    // The key that verified it came from the key set on loopback.
    expect(keys.fetched).toContain(`/${TENANT}/discovery/v2.0/keys`);
  });

  test("a Teams inline image is fetched from the channel's host with the bot's token and reaches the engine", async () => {
    outboundToken.mockClear();
    const t = teamsPersonal(serviceUrl);
    const before = connector.fileGets.length;
    const msg = {
      ...t.message('la photo'),
      attachments: [
        { contentType: 'image/*', contentUrl: `${serviceUrl}v3/attachments/0-weu-d1-abc/views/original` },
        { contentType: 'text/html', content: '<div>la photo</div>' },
      ],
    };
    const res = await fetch(`${server.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
      body: JSON.stringify(msg),
    });
    expect(res.status).toBe(200);
    expect(connector.fileGets.slice(before)).toEqual([
      { path: '/amer/v3/attachments/0-weu-d1-abc/views/original', authorization: `Bearer ${OUTBOUND}` },
    ]);
    const ref = await app.store.channelRefByExternal('msteams', t.conversationId);
    const customer = (await app.engine.transcript(ref!.conversationId)).filter((m) => m.from === 'customer');
    expect(customer.map((m) => m.attachments?.map((a) => a.contentType))).toEqual([['image/png']]);
  });

  test.each([
    ['no Authorization header', () => undefined],
    ['not a JWT', () => 'Bearer not-a-jwt'],
    ['Basic credentials', () => 'Basic dXNlcjpwYXNz'],
    ['a key id the key set does not have', () => `Bearer ${token({}, keys.privateKey, { kid: 'forged' })}`],
    [
      'signed by another key under the right key id',
      () => `Bearer ${token({}, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)}`,
    ],
    // Entra's signing keys are shared by all tenants: a token another tenant obtains for our app id.
    [
      'issued by another tenant',
      () => `Bearer ${token({ iss: `https://sts.windows.net/${otherTenant}/`, tid: otherTenant })}`,
    ],
    ['meant for another bot (audience)', () => `Bearer ${token({ aud: randomUUID() })}`],
    [
      'expired an hour ago',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return `Bearer ${token({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 })}`;
      },
    ],
  ])('refused with 401, nothing reaches the engine: %s', async (_what, authorization) => {
    const r = await send(authorization());
    expect({ status: r.status, ref: r.ref, engine: r.engineMessages, sent: r.sent }).toEqual({
      status: 401,
      ref: undefined,
      engine: [],
      sent: [],
    });
  });

  test("refused when the activity's serviceUrl is not the token's (a forged reply address), nothing reaches the engine", async () => {
    const r = await send(`Bearer ${token({ serviceurl: 'https://smba.trafficmanager.net/amer/' })}`);
    expect({ status: r.status, ref: r.ref, engine: r.engineMessages, sent: r.sent }).toEqual({
      status: 400,
      ref: undefined,
      engine: [],
      sent: [],
    });
  });
});

describe('production without a bot identity', () => {
  test('the server refuses to start and names the variables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'savbot-bf-prod-'));
    try {
      await expect(
        startBotProcess({
          NODE_ENV: 'production',
          SQLITE_FILE: join(dir, 'bot.db'),
          HANDOFF_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
          AGENT_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
          ADMIN_TOKENS: `ops:admin:${randomBytes(16).toString('hex')}`,
          DIRECTLINE_TOKEN_SECRET: randomBytes(24).toString('hex'),
          MICROSOFT_APP_ID: '',
          MICROSOFT_APP_PASSWORD: '',
        }),
      ).rejects.toThrow(/server exited with 1[\s\S]*MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
