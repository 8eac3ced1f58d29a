/**
 * Email when nobody is online, over real HTTP on loopback: the widget's API (test/support/app.ts, a temp SQLite
 * file), agents' signed events, and a real SMTP server (smtp-server on 127.0.0.1:0) whose mails are read back with
 * mailparser. The mail worker is driven with runOnce (HANDOFF_EMAIL_GRACE_MS=0: a reply is due at once).
 */
import { randomBytes } from 'node:crypto';
import { mailWorker } from '../../src/channels/email/worker';
import { hoursAroundNow } from '../support/config';
import { startApp, type App, type StartedApp } from '../support/app';
import { Inbox } from '../support/smtp';
import { agentSays as sayAsAgent, openConversation, sendMessage, type Conv } from '../support/customer';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const PUBLIC_URL = 'https://bot.shop.example';

interface Reply {
  text: string;
  source: { kind: string; id?: string };
  suggestions?: { label: string; value: string }[];
}

const inbox = new Inbox();
let running: StartedApp | undefined;
let app: App;
let base: string;

beforeAll(async () => {
  await inbox.start();
  running = await startApp({
    AGENT_WEBHOOK_SECRET: SECRET,
    HANDOFF_WEBHOOK_URL: '',
    HANDOFF_TRIGGERS: '',
    // Agents are away whatever the time of day: the offer comes with the handoff.
    HANDOFF_HOURS: hoursAroundNow(false),
    SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
    MAIL_FROM: 'Service client <sav@shop.example>',
    HANDOFF_EMAIL_GRACE_MS: '0',
    HANDOFF_RETRY_SCHEDULE_MS: '1,1,1,1,1',
    PUBLIC_URL,
  });
  ({ app, base } = running);
});

afterAll(async () => {
  await running?.close();
  await inbox.stop();
});

beforeEach(() => {
  inbox.raw.length = 0;
});

const createConversation = (lang = 'fr') => openConversation(base, lang);
const post = (conv: Conv, body: { text?: string; action?: string }) => sendMessage<Reply>(base, conv, body);
const say = (conv: Conv, text: string) => post(conv, { text });
const agentSays = (conv: Conv, text: string) => sayAsAgent(base, SECRET, conv, text);

/** An after-hours handoff in French whose customer chose to continue by email at `address`. */
async function continuingByEmail(address: string): Promise<Conv> {
  const conv = await createConversation('fr');
  const replies = await say(conv, 'je veux parler à un conseiller');
  const offer = replies.find((r) => r.source.id === 'email-offer');
  expect(offer?.text).toContain('continuer par e-mail');
  expect(offer?.suggestions?.map((s) => s.value)).toEqual(['email:continue', 'email:wait', 'handoff:cancel']);
  const [ask] = await post(conv, { action: 'email:continue', text: 'Continuer par e-mail' });
  expect(ask!.text).toMatch(/^Écrivez votre adresse e-mail\. En la donnant, vous acceptez/);
  const [confirmed] = await say(conv, `C'est ${address} merci`);
  expect(confirmed!.text).toContain(`envoyées à ${address}`);
  const state = await app.engine.getConversation(conv.conversationId);
  expect(state!.handoff).toMatchObject({ status: 'queued' });
  expect(state!.email).toMatchObject({ address, replies: true });
  return conv;
}

describe('replies by email', () => {
  test('an agent reply while the customer is away: exactly one mail, threaded with the next one', async () => {
    const conv = await continuingByEmail('marie.dupont@exemple.fr');
    await agentSays(conv, 'Bonjour, votre colis <b>part</b> demain.');
    expect(await app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
    expect(await app.mail!.runOnce()).toEqual({ delivered: 0, failed: 0 });
    const [first] = await inbox.mails();
    expect(inbox.raw).toHaveLength(1);
    expect(first!.to).toMatchObject({ value: [{ address: 'marie.dupont@exemple.fr' }] });
    expect(first!.from).toMatchObject({ value: [{ address: 'sav@shop.example', name: 'Service client' }] });
    expect(first!.subject).toBe('Votre conversation avec notre service client');
    expect(first!.text).toContain('Marie vous a répondu :');
    expect(first!.text).toContain('Bonjour, votre colis <b>part</b> demain.');
    expect(first!.text).toContain(`${PUBLIC_URL}/?conversation=${conv.conversationId}`);
    // The HTML part shows the agent's text, never runs it.
    expect(first!.html).toContain('votre colis &#60;b&#62;part&#60;/b&#62; demain.');
    expect(first!.html).not.toContain('<b>part');
    expect(first!.messageId).toMatch(/^<msg_[^@]+@shop\.example>$/);
    expect(first!.inReplyTo).toBeUndefined();

    expect(await app.store.getSetting(`email.thread:${conv.conversationId}`)).toBe(JSON.stringify([first!.messageId]));
    await agentSays(conv, 'Le numéro de suivi est 1Z999.');
    expect(await app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
    const [, second] = await inbox.mails();
    expect(inbox.raw).toHaveLength(2);
    expect(second!.text).toContain('Le numéro de suivi est 1Z999.');
    expect(second!.subject).toBe('Re: Votre conversation avec notre service client');
    expect(second!.inReplyTo).toBe(first!.messageId);
    expect(second!.references).toBe(first!.messageId);
    expect(second!.messageId).not.toBe(first!.messageId);

    // The offer was made for this handoff (once across instances: the setting holds its id).
    const handoffId = (await app.engine.getConversation(conv.conversationId))!.handoff!.id;
    expect(await app.store.getSetting(`email.offer:${conv.conversationId}`)).toBe(handoffId);
    // Erased on request (found by the address the customer gave): the address, the thread, the offer go with it.
    await app.privacy.erase({ email: 'marie.dupont@exemple.fr' }, 'test');
    expect(await app.store.getSetting(`email.thread:${conv.conversationId}`)).toBeUndefined();
    expect(await app.store.getSetting(`email.offer:${conv.conversationId}`)).toBeUndefined();
    expect(await app.engine.getConversation(conv.conversationId)).toBeUndefined();
  });

  test('no mail while the customer has the widget event stream open', async () => {
    const conv = await continuingByEmail('ion.popescu@exemplu.ro');
    const abort = new AbortController();
    const stream = await fetch(`${base}/api/conversations/${conv.conversationId}/events`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${conv.token}` },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    try {
      await agentSays(conv, 'Je vous réponds en direct.');
      // Delivered (the customer got it live), nothing sent.
      expect(await app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
      expect(inbox.raw).toHaveLength(0);
      const mails = (await app.store.events(conv.conversationId)).filter((e) => e.target === 'email');
      expect(mails.map((e) => [e.type, e.status])).toEqual([['email.reply', 'delivered']]);
    } finally {
      abort.abort();
      await stream.body?.cancel().catch(() => undefined);
    }
  });

  test('SMTP down: the mail is retried, then delivered once the server is back, and never sent twice', async () => {
    const conv = await continuingByEmail('luc@exemple.fr');
    await inbox.stop();
    await agentSays(conv, 'Voici la réponse attendue.');
    expect(await app.mail!.runOnce()).toEqual({ delivered: 0, failed: 1 });
    const [pending] = (await app.store.events(conv.conversationId)).filter((e) => e.target === 'email');
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending!.lastError).toMatch(/SMTP server failed/);
    await inbox.start();
    // The retry is due 1 ms later (HANDOFF_RETRY_SCHEDULE_MS=1,...): a few runs until it is.
    let delivered = 0;
    for (let i = 0; i < 50 && delivered === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
      delivered = (await app.mail!.runOnce()).delivered;
    }
    expect(delivered).toBe(1);
    expect(inbox.raw).toHaveLength(1);
    expect((await inbox.mails())[0]!.text).toContain('Voici la réponse attendue.');
    // A worker started afresh on the same database (a restart) finds nothing left to send.
    const restarted = mailWorker(
      { ...running!.config, mail: running!.config.mail! },
      { store: app.store, engine: app.engine, streams: app.streams, log: { warn() {}, error() {} } },
    );
    expect(await restarted.runOnce()).toEqual({ delivered: 0, failed: 0 });
    await restarted.stop();
    expect(inbox.raw).toHaveLength(1);
  });
});

test('STARTTLS required: a server that does not offer it gets nothing in clear', async () => {
  const conv = await continuingByEmail('paul@exemple.fr');
  await agentSays(conv, 'Réponse confidentielle.');
  const config = running!.config;
  const strict = mailWorker(
    { ...config, mail: { ...config.mail!, smtp: { ...config.mail!.smtp, requireTLS: true } } },
    { store: app.store, engine: app.engine, streams: app.streams, log: { warn() {}, error() {} } },
  );
  try {
    expect(await strict.runOnce()).toEqual({ delivered: 0, failed: 1 });
  } finally {
    await strict.stop();
  }
  expect(inbox.raw).toHaveLength(0);
  const [mail] = (await app.store.events(conv.conversationId)).filter((e) => e.target === 'email');
  expect(mail).toMatchObject({ status: 'pending', attempts: 1 });
  expect(mail!.lastError).toMatch(/STARTTLS/i);
  // The configured worker (plain SMTP on loopback) delivers it on a later run.
  let delivered = 0;
  for (let i = 0; i < 50 && delivered === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
    delivered = (await app.mail!.runOnce()).delivered;
  }
  expect(inbox.raw).toHaveLength(1);
});

describe('the conversation by email', () => {
  test('asked in French: the address is asked with the consent notice, then the transcript is mailed in French', async () => {
    const conv = await createConversation('fr');
    await say(conv, 'bonjour');
    const [ask] = await say(conv, 'Pouvez-vous m’envoyer la conversation par e-mail ?');
    expect(ask).toMatchObject({ source: { kind: 'handoff', id: 'email-ask' } });
    expect(ask!.text).toContain('vous acceptez que nous vous y envoyions cette conversation');
    const [invalid] = await say(conv, 'jean@exemple');
    expect(invalid!.text).toContain('ne semble pas valide');
    const [done] = await say(conv, 'jean.martin@exemple.fr');
    expect(done!.text).toBe('C’est fait : la conversation part à l’adresse jean.martin@exemple.fr.');
    expect(await app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
    const [mail] = await inbox.mails();
    expect(inbox.raw).toHaveLength(1);
    expect(mail!.to).toMatchObject({ value: [{ address: 'jean.martin@exemple.fr' }] });
    expect(mail!.subject).toBe('Votre conversation avec notre service client');
    expect(mail!.text).toContain('Voici votre conversation, comme vous l’avez demandé :');
    expect(mail!.text).toMatch(/\] Vous: bonjour\n/);
    expect(mail!.text).toContain('] Vous: Pouvez-vous m’envoyer la conversation par e-mail ?');
    expect(mail!.html).toContain('Voici votre conversation');
    // Asked again: the known address is used, no question.
    const [again] = await say(conv, 'renvoyez-moi la discussion par mail');
    expect(again!.text).toContain('jean.martin@exemple.fr');
    expect(await app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
    const [, second] = await inbox.mails();
    expect(second!.inReplyTo).toBe(mail!.messageId);
    expect(second!.text).toContain('] Vous: renvoyez-moi la discussion par mail');
  });

  test('an address gets at most 3 transcripts per conversation and 5 a day, whoever asks', async () => {
    const target = 'victime@exemple.fr';
    const asks = async (conv: Conv) => {
      const [first] = await say(conv, 'envoyez-moi la conversation par e-mail');
      expect(first!.source.id).toBe('email-ask');
      await say(conv, target);
      for (let i = 0; i < 2; i++) await say(conv, 'envoyez-moi la conversation par e-mail');
      const [refused] = await say(conv, 'envoyez-moi la conversation par e-mail');
      expect(refused!.text).toBe('La conversation vous a déjà été envoyée plusieurs fois : je ne peux plus l’envoyer.');
    };
    const a = await createConversation('fr');
    const b = await createConversation('fr');
    await asks(a);
    await asks(b);
    let delivered = 0;
    for (let run = 0; run < 10; run++) delivered += (await app.mail!.runOnce()).delivered;
    // Six asked, six delivered; the sixth to the same address was dropped, not sent.
    expect(delivered).toBe(6);
    expect(inbox.raw).toHaveLength(5);
    expect((await inbox.mails()).every((m) => m.to && !Array.isArray(m.to) && m.to.text === target)).toBe(true);
  });
});

describe('the offer when no agent joins in time', () => {
  test('inside opening hours, the widget event stream brings the offer after HANDOFF_EMAIL_AFTER_MS', async () => {
    const open = await startApp({
      HANDOFF_WEBHOOK_URL: '',
      HANDOFF_TRIGGERS: '',
      HANDOFF_HOURS: hoursAroundNow(true),
      SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
      MAIL_FROM: 'sav@shop.example',
      HANDOFF_EMAIL_AFTER_MS: '0',
    });
    const abort = new AbortController();
    try {
      const res = await fetch(`${open.base}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lang: 'en' }),
      });
      const conv = (await res.json()) as Conv;
      const said = await fetch(`${open.base}/api/conversations/${conv.conversationId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
        body: JSON.stringify({ action: 'handoff' }),
      });
      const replies = ((await said.json()) as { replies: Reply[] }).replies;
      // Open: the handoff itself comes without the offer.
      expect(replies.map((r) => r.source.id)).not.toContain('email-offer');
      const stream = await fetch(`${open.base}/api/conversations/${conv.conversationId}/events`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${conv.token}` },
        signal: abort.signal,
      });
      expect(stream.status).toBe(200);
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes('"email-offer"')) break;
      }
      expect(text).toContain('No advisor is free yet. Would you like to continue by email?');
      const offers = (await open.app.engine.transcript(conv.conversationId)).filter(
        (m) => m.source?.id === 'email-offer',
      );
      expect(offers).toHaveLength(1);
    } finally {
      abort.abort();
      await open.close();
    }
  });
});
