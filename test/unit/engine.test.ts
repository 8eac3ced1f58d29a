import type { KbEntry, KnowledgeBase, Lang } from '../../src/domain/types';
import { Engine, type MessageOrigin } from '../../src/engine/engine';
import { estimateWait, MIN_WAIT_SAMPLES } from '../../src/engine/queue';
import { HANDOFF_MESSAGES } from '../../src/handoff/messages';
import type { Matcher, MatchResult } from '../../src/matching/matcher';
import { LanguageDetector } from '../../src/nlp/language';
import { MemoryConversationStore } from '../../src/storage/memory';

const entry = (id: string, kind: KbEntry['kind'] = 'faq', followUps: string[] = [], topic = 'warranty'): KbEntry => ({
  id,
  kind,
  topic,
  title: { fr: `Titre ${id}`, en: `Title ${id}`, ro: `Titlu ${id}` },
  questions: { fr: ['q'], en: ['q'], ro: ['q'] },
  answer: kind === 'outofscope' ? {} : { fr: `Réponse ${id}`, en: `Answer ${id}`, ro: `Răspuns ${id}` },
  tags: [],
  products: [],
  followUps,
  source: { file: 'kb.yaml', line: 1 },
});

const kb: KnowledgeBase = {
  entries: [
    entry('a', 'faq', ['b']),
    entry('b'),
    entry('hello', 'smalltalk'),
    entry('person', 'handoff'),
    entry('oos', 'outofscope', [], 'oos'),
    entry('c', 'faq', [], 'delivery'),
    entry('greeting', 'smalltalk', ['a'], 'smalltalk'),
  ],
  topics: [
    { id: 'warranty', title: { fr: 'Garantie', en: 'Warranty', ro: 'Garanție' }, file: 'w.yaml' },
    { id: 'delivery', title: { fr: 'Livraison', en: 'Delivery', ro: 'Livrare' }, file: 'd.yaml' },
    { id: 'oos', title: {}, file: 'o.yaml' },
  ],
  synonyms: {},
  version: 'v1',
};

/** A matcher whose answers the test decides: "lang:text" or "text" -> result. */
function fakeMatcher(
  table: Record<string, Omit<MatchResult, 'lang'>>,
  seen: { text: string; lang: Lang }[] = [],
): Matcher {
  return {
    match(text: string, lang: Lang): MatchResult {
      seen.push({ text, lang });
      const r = table[`${lang}:${text}`] ?? table[text] ?? { candidates: [], confidence: 0, similarity: 0 };
      return { lang, ...r };
    },
  } as unknown as Matcher;
}
const res = (confidence: number, ...c: [string, number][]) => ({
  candidates: c.map(([id, score]) => ({ id, score })),
  confidence,
  similarity: confidence,
});

async function setup(table: Record<string, Omit<MatchResult, 'lang'>>, lang?: Lang) {
  const seen: { text: string; lang: Lang }[] = [];
  const store = new MemoryConversationStore();
  const engine = new Engine({
    kb,
    matcher: fakeMatcher(table, seen),
    detector: new LanguageDetector(),
    store,
    options: { answerThreshold: 0.4, clarifyThreshold: 0.2, clarifyMargin: 0.2, defaultLang: 'fr', maxTextLength: 50 },
  });
  const conv = await engine.createConversation({ channel: 'test', lang });
  const say = (text: string) => engine.handle({ conversationId: conv.id, channel: 'test', text });
  const click = (action: string) => engine.handle({ conversationId: conv.id, channel: 'test', action });
  return { engine, conv, say, click, seen, store };
}

describe('Engine decisions', () => {
  it('answers a confident match, with follow-ups as suggestions and its source', async () => {
    const { say } = await setup({ 'ma question': res(0.8, ['a', 0.9], ['b', 0.05]) }, 'fr');
    const [r] = await say('ma question');
    expect(r).toEqual({
      text: 'Réponse a',
      suggestions: [{ label: 'Titre b', value: 'faq:b' }],
      source: { kind: 'faq', id: 'a', confidence: 0.8 },
      lang: 'fr',
      // "Was this helpful?" under a knowledge-base answer.
      feedback: true,
    });
  });

  it('asks "did you mean A or B?" when two entries are close', async () => {
    const { say } = await setup({ 'entre deux': res(0.5, ['a', 0.45], ['b', 0.4]) }, 'fr');
    const [r] = await say('entre deux');
    expect(r!.source).toEqual({ kind: 'clarify', id: 'a', confidence: 0.5 });
    expect(r!.suggestions!.map((s) => s.value)).toEqual(['faq:a', 'faq:b', 'fallback']);
  });

  it('falls back honestly below the threshold, with the topics of the closest entries first and a person', async () => {
    const { say } = await setup({ vague: res(0.1, ['a', 0.3], ['b', 0.05]) }, 'en');
    const [r] = await say('vague');
    expect(r!.source).toEqual({ kind: 'fallback', confidence: 0.1 });
    expect(r!.suggestions!.map((s) => s.value)).toEqual(['topic:warranty', 'topic:delivery', 'handoff']);
    expect(r!.text).toMatch(/rephrase/);
  });

  it('gives the fallback, not a near-miss answer, for an out-of-scope match', async () => {
    const { say } = await setup(
      { meteo: res(0.9, ['oos', 0.9], ['a', 0.05]), presque: res(0.5, ['a', 0.45], ['oos', 0.4]) },
      'fr',
    );
    expect((await say('meteo'))[0]!.source).toEqual({ kind: 'fallback', id: 'oos', confidence: 0.9 });
    expect((await say('presque'))[0]!.source.kind).toBe('fallback');
  });

  it('marks small talk and requests for a person with their kind', async () => {
    const { say } = await setup({ salut: res(0.9, ['hello', 0.95]), humain: res(0.9, ['person', 0.95]) }, 'fr');
    expect((await say('salut'))[0]!.source.kind).toBe('smalltalk');
    const [h] = await say('humain');
    expect(h!.source).toMatchObject({ kind: 'handoff', id: 'person' });
    expect(h!.suggestions).toBeUndefined();
  });

  it('answers empty, blank and symbol-only messages with a clear prompt, without matching', async () => {
    const { say, seen } = await setup({}, 'en');
    for (const t of ['', '   ', '😀🎉', '?!?']) {
      const [r] = await say(t);
      expect(r!.source.kind).toBe('fallback');
      expect(r!.text).toMatch(/did not get any text/);
    }
    expect(seen).toEqual([]);
  });

  it('matches only the beginning of a very long message and says so', async () => {
    const { say, seen } = await setup({}, 'en');
    const replies = await say('where is my parcel '.repeat(100));
    expect(seen[0]!.text.length).toBe(50);
    expect(replies[0]!.text).toMatch(/very long/);
    expect(replies.length).toBe(2);
  });

  it('keeps the full transcript with sources and the knowledge-base version', async () => {
    const { say, engine, conv } = await setup({ 'ma question': res(0.8, ['a', 0.9]) }, 'fr');
    await say('ma question');
    const transcript = await engine.transcript(conv.id);
    expect(transcript.map((l) => [l.from, l.text, l.source?.kind, l.kbVersion])).toEqual([
      ['customer', 'ma question', undefined, undefined],
      ['bot', 'Réponse a', 'faq', 'v1'],
    ]);
  });

  it('refuses an unknown conversation with a 404 error', async () => {
    const { engine } = await setup({});
    await expect(engine.handle({ conversationId: 'nope', channel: 'test', text: 'x' })).rejects.toMatchObject({
      status: 404,
      code: 'CONVERSATION_NOT_FOUND',
    });
  });
});

describe('Engine buttons', () => {
  it('faq:<id> answers that entry; topic:<id> lists its entries; handoff asks for a person; fallback shows the topics', async () => {
    const { click } = await setup({}, 'en');
    expect((await click('faq:b'))[0]).toMatchObject({
      text: 'Answer b',
      source: { kind: 'faq', id: 'b', confidence: 1 },
    });
    const [t] = await click('topic:warranty');
    expect(t!.source).toEqual({ kind: 'clarify', id: 'topic:warranty' });
    expect(t!.suggestions!.map((s) => s.value)).toEqual(['faq:a', 'faq:b']);
    expect((await click('fallback'))[0]!.source.kind).toBe('fallback');
    expect((await click('handoff'))[0]!.source).toMatchObject({ kind: 'handoff', id: 'person' });
  });

  it('takes a typed label of a button just offered as its click (imBack, text-only channels), and only then', async () => {
    const { say, click, engine, conv, seen } = await setup({}, 'en');
    await click('topic:warranty');
    // Case and accents do not matter; the customer's words are kept, with the button's value.
    expect((await say('  title B '))[0]).toMatchObject({ text: 'Answer b', source: { kind: 'faq', id: 'b' } });
    expect(seen).toEqual([]);
    const t = await engine.transcript(conv.id);
    expect(t.at(-2)).toMatchObject({ from: 'customer', text: '  title B ', action: 'faq:b' });
    // The buttons offered are stored with the bot's message.
    expect(t.find((m) => m.source?.id === 'topic:warranty')!.suggestions!.map((s) => s.value)).toEqual([
      'faq:a',
      'faq:b',
    ]);
    // The answer to b offered no buttons: the same words are now matched as text.
    await say('Title B');
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((s) => s.text))).toEqual(new Set(['Title B']));
  });

  it('welcomes with the greeting entry, stored once with its buttons (a typed label is then a click); nothing without one', async () => {
    const store = new MemoryConversationStore();
    const withGreeting: KnowledgeBase = { ...kb, entries: [...kb.entries, entry('greeting', 'smalltalk', ['a'])] };
    const engine = new Engine({ kb: withGreeting, matcher: fakeMatcher({}), detector: new LanguageDetector(), store });
    const conv = await engine.createConversation({ channel: 'test' });
    const emitted: number[] = [];
    engine.events.on('message', (_id, records: { id: number }[]) => emitted.push(...records.map((r) => r.id)));
    const [reply, ...more] = await engine.welcome(conv.id, 'en');
    expect(more).toEqual([]);
    expect(reply).toMatchObject({
      text: 'Answer greeting',
      suggestions: [{ label: 'Title a', value: 'faq:a' }],
      source: { kind: 'smalltalk', id: 'greeting' },
    });
    const t = await engine.transcript(conv.id);
    expect(t).toEqual([
      expect.objectContaining({
        from: 'bot',
        text: 'Answer greeting',
        suggestions: [{ label: 'Title a', value: 'faq:a' }],
      }),
    ]);
    expect(emitted).toEqual([t[0]!.id]);
    expect(
      (await engine.handle({ conversationId: conv.id, channel: 'test', text: 'title a', clientId: 'c-1' }))[0]!.source,
    ).toMatchObject({ kind: 'faq', id: 'a' });
    expect((await engine.transcript(conv.id, t[0]!.id))[0]).toMatchObject({
      from: 'customer',
      action: 'faq:a',
      clientId: 'c-1',
    });

    const bare = new Engine({
      kb: { ...kb, entries: kb.entries.filter((e) => e.id !== 'greeting') },
      matcher: fakeMatcher({}),
      detector: new LanguageDetector(),
      store,
    });
    const other = await bare.createConversation({ channel: 'test' });
    expect(await bare.welcome(other.id)).toEqual([]);
    expect(await bare.transcript(other.id)).toEqual([]);
    await expect(bare.welcome('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('says clearly that an unknown or stale button is no longer valid', async () => {
    const { click } = await setup({}, 'ro');
    for (const a of ['faq:nope', 'faq:oos', 'topic:nope', 'dance']) {
      const [r] = await click(a);
      expect(r!.source.kind).toBe('fallback');
      expect(r!.text).toMatch(/nu mai este valabil/);
    }
  });
});

describe('Engine languages', () => {
  it('takes the language of the first message when the conversation has none', async () => {
    const { say, seen } = await setup({});
    await say('bună ziua, unde este comanda mea?');
    expect(seen[0]!.lang).toBe('ro');
  });

  it('keeps the conversation language for short ambiguous messages', async () => {
    const { say, engine, conv } = await setup({}, 'fr');
    for (const t of ['ok', 'TV Samsung', 'iPhone 15']) expect((await say(t))[0]!.lang).toBe('fr');
    expect((await engine.getConversation(conv.id))!.lang).toBe('fr');
  });

  it('switches when the customer clearly writes in another language', async () => {
    const { say, seen, engine, conv } = await setup({}, 'fr');
    const [r] = await say('hello, where is my order please, it is late');
    expect(seen[0]!.lang).toBe('en');
    expect(r!.lang).toBe('en');
    expect((await engine.getConversation(conv.id))!.lang).toBe('en');
  });

  it('switches for a short message understood only in its own language', async () => {
    const { say } = await setup({ 'en:thanks': res(0.9, ['hello', 0.95]) }, 'fr');
    const [r] = await say('thanks');
    expect(r!.lang).toBe('en');
    expect(r!.source.kind).toBe('smalltalk');
  });
});

describe('Engine welcome', () => {
  it('greets a new conversation once, in its language, with the greeting entry and its buttons (a typed label works)', async () => {
    const { engine, conv, say, store } = await setup({}, 'ro');
    const [greeting, ...rest] = await engine.welcome(conv.id);
    expect(rest).toEqual([]);
    expect(greeting).toMatchObject({
      text: 'Răspuns greeting',
      source: { kind: 'smalltalk', id: 'greeting' },
      lang: 'ro',
      suggestions: [{ label: 'Titlu a', value: 'faq:a' }],
    });
    expect(await engine.welcome(conv.id)).toEqual([]);
    expect((await store.transcript(conv.id)).map((m) => [m.from, m.text])).toEqual([['bot', 'Răspuns greeting']]);
    expect((await say('Titlu a'))[0]!.source).toMatchObject({ kind: 'faq', id: 'a' });
  });

  it('does not greet a conversation under way, and leaves an unknown language to be detected', async () => {
    const { engine, conv, say } = await setup({});
    await say('bonjour');
    expect(await engine.welcome(conv.id)).toEqual([]);
    const other = await engine.createConversation({ channel: 'test' });
    expect((await engine.welcome(other.id))[0]!.lang).toBe('fr');
    expect((await engine.getConversation(other.id))!.lang).toBeUndefined();
  });
});

describe('Engine turn economy and handoff payload', () => {
  it('reads the conversation once and detects the language once for a first message (anger check and matching share it)', async () => {
    const { engine, conv, store } = await setup({});
    const detector = new LanguageDetector();
    let detections = 0;
    const detect = detector.detect.bind(detector);
    detector.detect = (text: string) => (detections++, detect(text));
    engine.publish({ kb, matcher: fakeMatcher({}), detector });
    const get = jest.spyOn(store, 'get');
    await engine.handle({ conversationId: conv.id, channel: 'test', text: 'bonjour, ma commande est en retard' });
    expect(detections).toBe(1);
    expect(get).toHaveBeenCalledTimes(1);
    // A handoff turn too: the queue status comes from the state in hand.
    get.mockClear();
    await engine.handle({ conversationId: conv.id, channel: 'test', action: 'handoff' });
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('passes the email and phone number the customer typed with the handoff request, and what the bot tried', async () => {
    const { say, click, conv, store } = await setup({ 'ma question': res(0.8, ['a', 0.9]) }, 'fr');
    await say('ma question');
    await say('joignable à jean.dupont@example.com ou au 06 12 34 56 78');
    await click('handoff');
    const [requested] = await store.events(conv.id);
    expect(JSON.parse(requested!.body)).toMatchObject({
      type: 'handoff.requested',
      data: {
        language: 'fr',
        reason: 'customer-request',
        contact: { email: 'jean.dupont@example.com', phone: '0612345678' },
        botTried: ['faq:a'],
      },
    });
  });

  it('copies each handoff event to every relay target in the same turn; CSAT and aimed events stay single', async () => {
    const store = new MemoryConversationStore();
    const engine = new Engine({
      kb,
      matcher: fakeMatcher({}),
      detector: new LanguageDetector(),
      store,
      handoff: { relays: ['chatwoot'] },
    });
    const conv = await engine.createConversation({ channel: 'test', lang: 'fr' });
    await engine.handle({ conversationId: conv.id, channel: 'test', action: 'handoff' });
    await engine.handle({ conversationId: conv.id, channel: 'test', text: 'toujours là ?' });
    await engine.agentEvent({ type: 'handoff.completed', conversationId: conv.id });
    const evs = await store.events(conv.id);
    expect(evs.map((e) => [e.type, e.target])).toEqual([
      ['handoff.requested', 'webhook'],
      ['handoff.requested', 'chatwoot'],
      ['conversation.message', 'webhook'],
      ['conversation.message', 'chatwoot'],
      ['conversation.closed', 'webhook'],
      ['conversation.closed', 'chatwoot'],
    ]);
    // The same event: only the sequence number in the body differs.
    const data = (i: number) => (({ seq: _s, ...d }) => d)(JSON.parse(evs[i]!.body).data);
    expect(data(1)).toEqual(data(0));
  });

  it('tells subscribers of the typed event bus what was stored and published, until they unsubscribe', async () => {
    const { engine, say, conv } = await setup({ 'ma question': res(0.8, ['a', 0.9]) }, 'fr');
    const heard: [string, string[], MessageOrigin][] = [];
    const versions: string[] = [];
    const onMessage = (id: string, records: { text: string }[], origin: MessageOrigin) =>
      heard.push([id, records.map((r) => r.text), origin]);
    engine.events.on('message', onMessage).on('published', (v) => versions.push(v));
    await say('ma question');
    expect(heard).toEqual([[conv.id, ['Réponse a'], 'turn']]);
    engine.publish({ ...engine.content, kb: { ...kb, version: 'v2' } });
    expect(versions).toEqual(['v2']);
    engine.events.off('message', onMessage);
    await say('ma question');
    expect(heard).toHaveLength(1);
    expect(engine.events.listenerCount('message')).toBe(0);
  });
});

describe('the queue copy', () => {
  it('estimates a wait only when enough believable recent joins support it', () => {
    const fourMinutes = [240_000, 200_000, 260_000, 240_000, 300_000];
    expect(estimateWait(1, fourMinutes)).toBe(240_000);
    expect(estimateWait(3, fourMinutes)).toBe(720_000);
    expect(estimateWait(3, fourMinutes, 2)).toBe(360_000);
    expect(estimateWait(1, fourMinutes.slice(0, MIN_WAIT_SAMPLES - 1))).toBeUndefined();
    // 26 in the queue and agents joining within seconds: "about 1 minute" would not be believable.
    expect(estimateWait(26, [2000, 3000, 1500, 2500, 2000])).toBeUndefined();
    expect(estimateWait(1, fourMinutes, 0)).toBeUndefined();
  });

  it('words the place in the queue with or without an estimate, Romanian ordinals included', () => {
    expect(HANDOFF_MESSAGES.ro.queued(1, undefined)).toMatch(/^Sunteți primul la rând\. Un operator/);
    expect(HANDOFF_MESSAGES.ro.queued(2, 360_000)).toMatch(/^Sunteți al 2-lea la rând\. Timp estimat .* 6 min/);
    expect(HANDOFF_MESSAGES.en.queued(26, undefined)).not.toMatch(/min/);
    expect(HANDOFF_MESSAGES.fr.queued(3, undefined)).toContain('dès que possible');
    expect(HANDOFF_MESSAGES.en.forwarded()).toBe('Message passed on; a person will answer here.');
  });
});
