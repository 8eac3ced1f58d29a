import type { KbEntry, KnowledgeBase, Lang } from '../../src/domain/types';
import { decide } from '../../src/engine/decide';
import { Engine } from '../../src/engine/engine';
import type { Matcher, MatchResult } from '../../src/matching/matcher';
import { Vocabulary } from '../../src/matching/subject';
import { Analyzer } from '../../src/nlp/analyzer';
import { askingClauses } from '../../src/nlp/clauses';
import { asksForPerson, isDismissal } from '../../src/nlp/cues';
import { LanguageDetector } from '../../src/nlp/language';
import { MemoryConversationStore } from '../../src/storage/memory';

const entry = (id: string, kind: KbEntry['kind'], topic: string): KbEntry => ({
  id,
  kind,
  topic,
  title: { fr: `Titre ${id}`, en: `Title ${id}`, ro: `Titlu ${id}` },
  questions: { fr: ['q'], en: ['q'], ro: ['q'] },
  answer: { fr: `Réponse ${id}`, en: `Answer ${id}`, ro: `Răspuns ${id}` },
  tags: [],
  products: [],
  followUps: [],
  source: { file: 'kb.yaml', line: 1 },
});

const kb: KnowledgeBase = {
  entries: [
    entry('billing-faq', 'faq', 'billing'),
    entry('claim', 'faq', 'warranty'),
    entry('fix', 'faq', 'repair'),
    entry('returns-faq', 'faq', 'returns'),
    entry('cancel-order', 'faq', 'orders'),
    entry('greeting', 'smalltalk', 'smalltalk'),
    entry('thanks', 'smalltalk', 'smalltalk'),
    entry('goodbye', 'smalltalk', 'smalltalk'),
    entry('person', 'handoff', 'contact'),
  ],
  topics: ['billing', 'orders', 'repair', 'returns', 'warranty', 'contact', 'smalltalk'].map((id) => ({
    id,
    title: { en: id },
    file: `${id}.yaml`,
  })),
  synonyms: {},
  version: 'v1',
};

type Result = Omit<MatchResult, 'lang'>;
const res = (confidence: number, ...c: [string, number, number?][]): Result => ({
  candidates: c.map(([id, score, similarity]) => ({ id, score, similarity: similarity ?? confidence })),
  confidence,
  similarity: confidence,
});

async function setup(table: Record<string, Result>) {
  const matcher = {
    match: (text: string, lang: Lang): MatchResult => ({
      lang,
      ...(table[text] ?? { candidates: [], confidence: 0, similarity: 0 }),
    }),
  } as unknown as Matcher;
  const engine = new Engine({
    kb,
    matcher,
    detector: new LanguageDetector(),
    store: new MemoryConversationStore(),
    options: { answerThreshold: 0.4, clarifyThreshold: 0.2, clarifyMargin: 0.2, defaultLang: 'en' },
  });
  const conv = await engine.createConversation({ channel: 'test', lang: 'en' });
  return (text: string) => engine.handle({ conversationId: conv.id, channel: 'test', text });
}

const t = { answerThreshold: 0.4, clarifyThreshold: 0.2, clarifyMargin: 0.2 };
const kindOf = (id: string) => kb.entries.find((e) => e.id === id)?.kind;
/** decide() on a made-up match. */
const d = (r: Result, cues = {}) => decide({ lang: 'en', ...r }, kindOf, t, cues);

describe('the decision rule on what customers really write', () => {
  it('never offers small talk beside a real entry: the real entry is judged on its own', () => {
    expect(d(res(0.5, ['claim', 0.4], ['greeting', 0.3]))).toEqual({
      action: 'answer',
      id: 'claim',
      confidence: 0.5,
    });
    // The greeting leads but a real entry is close: that entry on its own score and similarity.
    expect(d(res(0.5, ['greeting', 0.4], ['claim', 0.35, 0.6]))).toMatchObject({
      action: 'answer',
      id: 'claim',
    });
    expect(d(res(0.5, ['greeting', 0.4], ['claim', 0.3, 0.1])).action).toBe('fallback');
  });

  it('answers the closing courtesy when two are said at once ("thanks, goodbye"), close or not', () => {
    expect(d(res(0.6, ['thanks', 0.45], ['goodbye', 0.43]))).toMatchObject({ id: 'goodbye' });
    expect(d(res(0.8, ['thanks', 0.72], ['goodbye', 0.16, 0.61]))).toMatchObject({ id: 'goodbye' });
    // Thanks alone (goodbye only faintly similar) stays thanks.
    expect(d(res(0.9, ['thanks', 0.9], ['goodbye', 0.05, 0.1]))).toMatchObject({ id: 'thanks' });
  });

  it('falls back when the subject is unknown to the shop, and answers a request for a person whatever the match', () => {
    expect(d({ ...res(0.6, ['fix', 0.7]), unknown: ['scooters'] }).action).toBe('fallback');
    expect(d(res(0.3, ['greeting', 0.5], ['thanks', 0.1]), { person: 'person' })).toMatchObject({
      action: 'answer',
      id: 'person',
    });
  });
});

describe('the off-topic examples against a story about a real entry', () => {
  // The same decision rule with an off-topic entry beside the real ones.
  const kinds = (id: string) => (id === 'oos' ? 'outofscope' : kindOf(id));
  const o = (r: Result) => decide({ lang: 'en', ...r }, kinds, t);

  it('leaves an off-topic lead to a real entry a long message resembles clearly more, answered on its own merits', () => {
    // "I can't connect to my account since this morning..." nearer to the login questions than to "my Instagram password".
    const long = (r: ReturnType<typeof res>) => ({ ...r, long: true as const });
    expect(o(long(res(0.5, ['oos', 0.5, 0.3], ['claim', 0.45, 0.7])))).toMatchObject({ action: 'answer', id: 'claim' });
    // A short message ("combien de temps") stays with the off-topic lead: too little said to pick an entry.
    expect(o(res(0.5, ['oos', 0.5, 0.3], ['claim', 0.45, 0.7]))).toMatchObject({ action: 'fallback', id: 'oos' });
    // Resembling it more, but too weakly to answer: the honest fallback, not the off-topic one.
    expect(o(long(res(0.3, ['oos', 0.6, 0.1], ['claim', 0.15, 0.35])))).toEqual({
      action: 'fallback',
      confidence: expect.any(Number),
    });
    // Not clearly nearer (within the margin), or the subject unknown to the shop: off-topic stays off-topic.
    expect(o(long(res(0.5, ['oos', 0.5, 0.6], ['claim', 0.45, 0.62])))).toMatchObject({
      action: 'fallback',
      id: 'oos',
    });
    expect(o({ ...long(res(0.5, ['oos', 0.5, 0.3], ['claim', 0.45, 0.7])), unknown: ['scooters'] })).toMatchObject({
      action: 'fallback',
      id: 'oos',
    });
  });

  it('a close off-topic runner-up does not hold back a long message that resembles its entry more', () => {
    const story = { ...res(0.5, ['claim', 0.45, 0.55], ['oos', 0.4, 0.2]), long: true };
    expect(o(story)).toMatchObject({ action: 'answer', id: 'claim' });
    // A short message close to the off-topic examples still falls back ("my thing stopped working").
    expect(o({ ...story, long: undefined }).action).toBe('fallback');
    // ...and so does a long one as near to them as to the entry.
    expect(o({ ...res(0.5, ['claim', 0.45, 0.5], ['oos', 0.4, 0.48]), long: true }).action).toBe('fallback');
  });
});

describe('the engine on what customers really write', () => {
  it('offers the topics of the closest candidates in the fallback first, best first and once each, then the main ones', async () => {
    const say = await setup({ vague: res(0.1, ['fix', 0.2], ['claim', 0.15], ['fix', 0.1]) });
    const [r] = await say('vague');
    expect(r!.suggestions!.map((s) => s.value)).toEqual([
      'topic:repair',
      'topic:warranty',
      'topic:billing',
      'topic:orders',
      'handoff',
    ]);
    // Nothing close at all: the main topics, as before.
    // (a new conversation: a second fallback in a row hands over to a person)
    const [none] = await (await setup({}))('nothing');
    expect(none!.suggestions!.map((s) => s.value)).toEqual([
      'topic:billing',
      'topic:orders',
      'topic:repair',
      'topic:returns',
      'handoff',
    ]);
  });

  it('hands a shouted request for a person to a person, greeting or not', async () => {
    const say = await setup({ 'HELLO I WANT A HUMAN NOT A ROBOT': res(0.33, ['greeting', 0.3], ['person', 0.2]) });
    const [r] = await say('HELLO I WANT A HUMAN NOT A ROBOT');
    expect(r!.source).toMatchObject({ kind: 'handoff', id: 'person' });
  });

  it('leaves a "did you mean" on "annuler" / "never mind" instead of matching the cancellation entry', async () => {
    const table = {
      'between two': res(0.5, ['claim', 0.45], ['fix', 0.4]),
      cancel: res(0.9, ['cancel-order', 0.9]),
      annuler: res(0.9, ['cancel-order', 0.9]),
    };
    const say = await setup(table);
    expect((await say('between two'))[0]!.source.kind).toBe('clarify');
    const [left] = await say('cancel');
    expect(left!.source).toEqual({ kind: 'clarify', id: 'dismissed' });
    expect(left!.suggestions!.map((s) => s.value)).toContain('handoff');
    // Nothing offered any more: "cancel" is about an order again.
    expect((await say('cancel'))[0]!.source).toMatchObject({ kind: 'faq', id: 'cancel-order' });
  });
});

describe('cues and clauses', () => {
  it('recognizes requests for a person in any case, not questions about who answers', () => {
    for (const s of [
      'HELLO I WANT A HUMAN NOT A ROBOT',
      'BONJOUR JE VEUX UN HUMAIN PAS UN ROBOT',
      'BUNĂ ZIUA VREAU UN OM NU UN ROBOT',
      'passez moi qqn svp',
      'can i chat w someone from your team pls',
    ])
      expect([s, asksForPerson(s)]).toEqual([s, true]);
    for (const s of [
      'can someone come and install my cooker?',
      'are you human or a program?',
      "c'est une vraie personne qui me répond ?",
      'ești om sau mașină?',
      "personne ne m'a rappelé, je veux savoir où en est ma réparation",
    ])
      expect([s, asksForPerson(s)]).toEqual([s, false]);
  });

  it('takes only whole dismissals, with courtesy, as leaving', () => {
    for (const s of ['annuler', 'Laisse tomber !', 'never mind', 'anulează', 'renunț', "non c'est bon, laisse tomber"])
      expect([s, isDismissal(s)]).toEqual([s, true]);
    for (const s of ['annuler ma commande', 'cancel my order', 'anulează comanda', 'x'.repeat(400)])
      expect([s.slice(0, 20), isDismissal(s)]).toEqual([s.slice(0, 20), false]);
  });

  it('finds the asking clauses of a story, in the three languages', () => {
    expect(
      askingClauses('I bought a dishwasher a month ago and it leaks, can I get it fixed under warranty?', 'en'),
    ).toEqual({
      asking: 'can I get it fixed under warranty',
      count: 2,
    });
    expect(askingClauses('mon grille-pain est mort au bout de deux jours, je veux un neuf', 'fr').asking).toBe(
      'je veux un neuf',
    );
    expect(askingClauses('am cumparat un aspirator acum o luna. pot sa il returnez?', 'ro').asking).toBe(
      'pot sa il returnez',
    );
    // One clause, or nothing that asks: nothing to weigh.
    expect(askingClauses('where is my order?', 'en')).toEqual({ count: 1 });
    expect(askingClauses('thank you so much', 'en')).toEqual({ count: 1 });
  });

  it('knows a subject the shop never mentions from one it does', () => {
    const analyzer = new Analyzer();
    const v = new Vocabulary('en');
    v.add(analyzer.analyze('where can I buy a spare part for my vacuum', 'en'));
    expect(v.unknownSubject(analyzer.analyze('do you sell electric scooters?', 'en'))).toEqual(['scooters']);
    expect(v.unknownSubject(analyzer.analyze('do you sell vacuum scooters?', 'en'))).toEqual([]);
    expect(v.unknownSubject(analyzer.analyze('do you sell them?', 'en'))).toEqual([]);
  });
});
