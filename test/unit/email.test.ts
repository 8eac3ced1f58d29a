import { loadConfig } from '../../src/config';
import { escapeHtml, replyMail } from '../../src/channels/email/templates';
import type { KbEntry, KnowledgeBase, Lang } from '../../src/domain/types';
import { Engine } from '../../src/engine/engine';
import { BusinessHours } from '../../src/handoff/policy';
import type { Matcher, MatchResult } from '../../src/matching/matcher';
import { LanguageDetector } from '../../src/nlp/language';
import { asksTranscriptByEmail, emailIn, validEmail } from '../../src/nlp/email';
import { MemoryConversationStore } from '../../src/storage/memory';
import { StreamLimits } from '../../src/channels/streams';
import { hoursAroundNow, testEnv } from '../support/config';

describe('asking for the conversation by email', () => {
  test.each([
    'envoyez-moi la conversation par e-mail',
    'Pouvez-vous m’envoyer la conversation par mail ?',
    'je voudrais recevoir cette discussion par courriel',
    'envoie moi l’historique par email stp',
    'send me the conversation by email',
    'Can I get a transcript of this chat by e-mail?',
    'please email me the conversation',
    'trimiteți-mi conversația pe e-mail',
    'puteti sa imi trimiteti discutia pe mail?',
    'vreau istoricul conversatiei pe email',
  ])('"%s" is a request', (text) => {
    expect(asksTranscriptByEmail(text)).toBe(true);
  });

  test.each([
    'quelle est votre adresse e-mail ?',
    'je n’ai pas reçu votre mail de confirmation',
    'what is your email address',
    'my email is jean@exemple.fr',
    'envoyez la conversation à jean@exemple.fr par mail',
    'nu am primit e-mailul de confirmare',
    'je veux parler à un conseiller',
    'où en est ma conversation avec le SAV',
    'I did not get the confirmation email, only messages',
  ])('"%s" is not', (text) => {
    expect(asksTranscriptByEmail(text)).toBe(false);
  });
});

describe('email addresses', () => {
  test.each([
    ['marie@exemple.fr', 'marie@exemple.fr'],
    ['Jean.Martin+sav@Exemple.FR', 'Jean.Martin+sav@exemple.fr'],
    ['ion_popescu@mail.exemplu.ro', 'ion_popescu@mail.exemplu.ro'],
    ["o'brien@example.co.uk", "o'brien@example.co.uk"],
  ])('%s is valid', (raw, expected) => {
    expect(validEmail(raw)).toBe(expected);
  });

  test.each([
    'marie@exemple',
    'marie@@exemple.fr',
    'marie@exemple..fr',
    '.marie@exemple.fr',
    'ma..rie@exemple.fr',
    'marie@-exemple.fr',
    'marie@exemple.f',
    'marie@exemple.123',
    'marie exemple@exemple.fr',
    'marie@exemple.fr\r\nBcc: x@y.fr',
    '@exemple.fr',
    `${'a'.repeat(65)}@exemple.fr`,
    `a@${'b'.repeat(250)}.fr`,
  ])('%j is refused', (raw) => {
    expect(validEmail(raw)).toBeUndefined();
  });

  test('the first valid address of a sentence, without the punctuation around it', () => {
    expect(emailIn("C'est <marie@exemple.fr>, merci.")).toBe('marie@exemple.fr');
    expect(emailIn('mon adresse : jean@exemple.fr.')).toBe('jean@exemple.fr');
    expect(emailIn('jean@exemple puis jean@exemple.fr')).toBe('jean@exemple.fr');
    expect(emailIn('pas d’adresse ici')).toBeUndefined();
  });
});

describe('SMTP_URL and MAIL_FROM', () => {
  const load = (env: Record<string, string>) => loadConfig(testEnv(env));
  const from = { MAIL_FROM: 'Service client <sav@shop.example>' };

  test('without SMTP_URL nothing is mailed', () => {
    expect(load({}).mail).toBeUndefined();
  });

  test('smtps, STARTTLS required, and plain SMTP on loopback are accepted', () => {
    expect(load({ SMTP_URL: 'smtps://bot:p%40ss@mail.shop.example', ...from }).mail).toMatchObject({
      smtp: { host: 'mail.shop.example', port: 465, secure: true, requireTLS: false, user: 'bot', pass: 'p@ss' },
      domain: 'shop.example',
      from: 'Service client <sav@shop.example>',
    });
    expect(load({ SMTP_URL: 'smtp://mail.shop.example:587?starttls=required', ...from }).mail?.smtp).toMatchObject({
      port: 587,
      secure: false,
      requireTLS: true,
    });
    expect(load({ SMTP_URL: 'smtp://127.0.0.1:2525', ...from }).mail?.smtp).toMatchObject({
      host: '127.0.0.1',
      secure: false,
      requireTLS: false,
    });
  });

  test('plain SMTP to another host, another scheme or a bad MAIL_FROM are refused, naming the variable', () => {
    expect(() => load({ SMTP_URL: 'smtp://mail.shop.example', ...from })).toThrow(
      /SMTP_URL to mail\.shop\.example must be smtps:\/\/ or end with \?starttls=required/,
    );
    expect(() => load({ SMTP_URL: 'http://mail.shop.example', ...from })).toThrow(/SMTP_URL must start with smtp/);
    expect(() => load({ SMTP_URL: 'smtp://mail.shop.example?starttls=maybe', ...from })).toThrow(
      /starttls="maybe" must be "required"/,
    );
    expect(() => load({ SMTP_URL: 'smtps://mail.shop.example' })).toThrow(/MAIL_FROM="" must be an address/);
    expect(() => load({ SMTP_URL: 'smtps://mail.shop.example', MAIL_FROM: 'sav at shop' })).toThrow(/MAIL_FROM/);
  });
});

describe('live streams as the mail worker sees them', () => {
  test('a conversation is seen from a time on if a stream was open then or after', () => {
    const limits = new StreamLimits({ perConversation: 2, perIp: 5 });
    const before = Date.now();
    expect(limits.seenSince('c1', before)).toBe(false);
    const slot = limits.open('c1', '127.0.0.1', () => undefined);
    expect(limits.seenSince('c1', Date.now() + 60_000)).toBe(true); // open now: whatever the time asked
    slot.release();
    expect(limits.seenSince('c1', before)).toBe(true); // closed after `before`: the reply was streamed
    expect(limits.seenSince('c1', Date.now() + 60_000)).toBe(false);
    expect(limits.seenSince('c2', before)).toBe(false);
  });
});

describe('mail templates', () => {
  test('HTML is escaped, plain text is not', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    const m = replyMail(
      'ro',
      { agent: 'Ioana <3', text: 'Bună <script>x</script>' },
      'https://b.example/?c=1&d=2',
      true,
    );
    expect(m.subject).toBe('Re: Conversația dumneavoastră cu serviciul clienți');
    expect(m.text).toContain('Ioana <3 v-a răspuns:\n\nBună <script>x</script>');
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('Bună &#60;script&#62;x&#60;/script&#62;');
    expect(m.html).toContain('href="https://b.example/?c=1&#38;d=2"');
  });
});

// The engine with a memory store and a clock the test moves: the offer after HANDOFF_EMAIL_AFTER_MS.
const entry = (id: string, kind: KbEntry['kind']): KbEntry => ({
  id,
  kind,
  topic: 'general',
  title: {},
  questions: {},
  answer: { fr: `réponse ${id}`, en: `answer ${id}`, ro: `răspuns ${id}` },
  tags: [],
  products: [],
  followUps: [],
  source: { file: 'x.yaml', line: 1 },
});
const kb: KnowledgeBase = { entries: [entry('person', 'handoff')], topics: [], synonyms: {}, version: 'v1' };
const nothing = {
  match: (_t: string, lang: Lang): MatchResult => ({ lang, candidates: [], confidence: 0, similarity: 0 }),
};

async function setup() {
  let now = new Date();
  const store = new MemoryConversationStore();
  const engine = new Engine({
    kb,
    matcher: nothing as unknown as Matcher,
    detector: new LanguageDetector(),
    store,
    now: () => now,
    handoff: {
      hours: new BusinessHours(JSON.parse(hoursAroundNow(true)) as ConstructorParameters<typeof BusinessHours>[0]),
      email: { afterMs: 300_000, graceMs: 10_000 },
    },
  });
  const conv = await engine.createConversation({ channel: 'test', lang: 'en' });
  const send = (m: { text?: string; action?: string }) =>
    engine.handle({ conversationId: conv.id, channel: 'test', ...m });
  await send({ action: 'handoff' });
  const offers = async () =>
    (await engine.transcript(conv.id)).filter((m) => m.source?.kind === 'handoff' && m.source.id === 'email-offer');
  return { engine, store, conv, send, offers, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('the offer to continue by email', () => {
  test('made once when nobody joined within HANDOFF_EMAIL_AFTER_MS; a typed address is the consent', async () => {
    const { engine, store, conv, send, offers, advance } = await setup();
    // Open hours: no offer with the handoff, nor before the delay.
    expect(await offers()).toHaveLength(0);
    advance(299_000);
    await engine.queueStatus(conv.id);
    expect(await offers()).toHaveLength(0);
    advance(1_000);
    expect(await engine.queueStatus(conv.id)).toMatchObject({ status: 'queued' });
    const [offer] = await offers();
    expect(offer!.text).toBe(
      'No advisor is free yet. Would you like to continue by email? You will get their replies in your inbox.',
    );
    expect(offer!.suggestions).toEqual([
      { label: 'Continue by email', value: 'email:continue' },
      { label: 'Keep waiting', value: 'email:wait' },
      { label: 'Cancel the request', value: 'handoff:cancel' },
    ]);
    await engine.queueStatus(conv.id);
    expect(await offers()).toHaveLength(1);

    const replies = await send({ text: 'mary@example.com' });
    expect(replies.map((r) => r.text)).toEqual([
      'Thank you: the advisor’s replies will be sent to mary@example.com when you are not on this page. Your request stays in the queue.',
    ]);
    expect((await engine.getConversation(conv.id))!.handoff!.status).toBe('queued');
    // The typed address still reaches the agents.
    expect((await store.events(conv.id)).map((e) => [e.target, e.type])).toEqual([
      ['webhook', 'handoff.requested'],
      ['webhook', 'conversation.message'],
    ]);

    await engine.agentEvent({ type: 'agent.message', conversationId: conv.id, text: 'Hello', agent: { name: 'Sam' } });
    const mail = (await store.events(conv.id)).find((e) => e.target === 'email')!;
    expect(mail.type).toBe('email.reply');
    const reply = (await engine.transcript(conv.id)).at(-1)!;
    expect(reply).toMatchObject({ from: 'agent', text: 'Hello' });
    // First tried HANDOFF_EMAIL_GRACE_MS after the reply (the customer may still read it live).
    expect(Date.parse(mail.nextAttemptAt) - Date.parse(reply.at)).toBe(10_000);
    expect(JSON.parse(mail.body)).toMatchObject({
      data: { to: 'mary@example.com', language: 'en', agent: 'Sam', text: 'Hello' },
    });
  });

  test('keep waiting keeps the handoff queued and mails nothing; no offer once an agent joined', async () => {
    const { engine, store, conv, send, offers, advance } = await setup();
    advance(300_000);
    await engine.queueStatus(conv.id);
    expect(await offers()).toHaveLength(1);
    const [r] = await send({ action: 'email:wait' });
    expect(r!.text).toBe('Very well, you stay in the queue; an advisor will answer here.');
    await engine.agentEvent({ type: 'agent.message', conversationId: conv.id, text: 'Hi', agent: { name: 'Sam' } });
    expect((await store.events(conv.id)).filter((e) => e.target === 'email')).toEqual([]);

    const other = await setup();
    await other.engine.agentEvent({ type: 'agent.joined', conversationId: other.conv.id, agent: { name: 'Sam' } });
    other.advance(600_000);
    await other.engine.queueStatus(other.conv.id);
    expect(await other.offers()).toHaveLength(0);
  });
});
