import fc from 'fast-check';
import { join } from 'node:path';
import type { KbEntry, Lang } from '../../src/domain/types';
import { loadKnowledgeBase } from '../../src/knowledge/loader';
import { Matcher } from '../../src/matching/matcher';
import { Analyzer } from '../../src/nlp/analyzer';

const { kb } = loadKnowledgeBase(join(__dirname, '..', '..', 'knowledge-base'));
const matcher = new Matcher(kb, new Analyzer(kb.synonyms));
const top = (text: string, lang: Lang) => matcher.match(text, lang).candidates[0]?.id;

const entry = (id: string, fr: string[]): KbEntry => ({
  id,
  kind: 'faq',
  topic: 't',
  title: {},
  questions: { fr },
  answer: { fr: id },
  tags: [],
  products: [],
  followUps: [],
  source: { file: 'x', line: 1 },
});

describe('Matcher on the sample knowledge base', () => {
  it('tolerates typos and missing accents', () => {
    expect(top('garentie', 'fr')).toBe('warranty-coverage');
    expect(top('remboursment', 'fr')).toBe('refund-status');
    expect(top('colis pas recu', 'fr')).toBe('delivery-delay');
    expect(top('ou en est ma reparation', 'fr')).toBe('repair-status');
    expect(top('unde este comanda mea', 'ro')).toBe('order-tracking');
    expect(top('my parcel never arived', 'en')).toBe('delivery-delay');
  });

  it('uses the synonyms file (customer words mapped to knowledge-base words)', () => {
    expect(kb.synonyms.fr?.['frigo']).toBeDefined();
    const withSyn = matcher.match('mon frigo ne refroidit plus, il est sous garantie ?', 'fr');
    expect(['warranty-claim', 'warranty-coverage']).toContain(withSyn.candidates[0]?.id);
  });

  it('recognizes a request for a person in the three languages', () => {
    expect(top('je veux parler à un conseiller', 'fr')).toBe('human-agent');
    expect(top('vreau să vorbesc cu un operator', 'ro')).toBe('human-agent');
    expect(top('real person please', 'en')).toBe('human-agent');
  });

  it('gives ranked candidates with scores and a confidence in [0,1]', () => {
    const m = matcher.match('how long is the warranty on a fridge?', 'en');
    expect(m.candidates.length).toBe(3);
    expect(m.candidates[0]!.score).toBeGreaterThanOrEqual(m.candidates[1]!.score);
    expect(m.confidence).toBeGreaterThan(0.3);
    expect(m.confidence).toBeLessThanOrEqual(1);
  });

  it('recognizes questions the shop does not answer from the out-of-scope examples', () => {
    for (const q of ['what is the capital of Peru?', 'give me a pancake recipe'])
      expect(top(q, 'en')).toBe('out-of-scope');
  });

  it('without out-of-scope examples, is much less confident about questions the shop does not answer', () => {
    const faqOnly = new Matcher(
      { entries: kb.entries.filter((e) => e.kind !== 'outofscope') },
      new Analyzer(kb.synonyms),
    );
    const inScope = faqOnly.match('where is my repair?', 'en').confidence;
    for (const q of ['what is the capital of Peru?', 'give me a pancake recipe', 'zzzz qqqq'])
      expect(faqOnly.match(q, 'en').confidence).toBeLessThan(inScope / 2);
  });

  it('never throws and always returns a confidence in [0,1], whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom<Lang>('fr', 'ro', 'en'), (s, lang) => {
        const m = matcher.match(s, lang);
        expect(m.confidence).toBeGreaterThanOrEqual(0);
        expect(m.confidence).toBeLessThanOrEqual(1);
        for (const c of m.candidates) expect(Number.isFinite(c.score)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('answers nothing for a language without entries, and for a text without words', () => {
    const frOnly = new Matcher({ entries: [entry('a', ['bonjour'])] }, new Analyzer());
    expect(frOnly.match('hello', 'en')).toEqual({ lang: 'en', candidates: [], confidence: 0, similarity: 0 });
    expect(matcher.match('!!! ???', 'fr').candidates).toEqual([]);
  });
});

describe('Matcher properties', () => {
  it('every sample question resolves to its own entry (small generated knowledge bases)', () => {
    const words = [
      'colis',
      'facture',
      'garantie',
      'réparation',
      'livraison',
      'retour',
      'remboursement',
      'magasin',
      'téléviseur',
      'four',
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(words, { minLength: 3, maxLength: 6 }), (picked) => {
        const entries = picked.map((w, i) =>
          entry(`e${i}`, [`ma question sur ${w}`, `j'ai un souci de ${w}`, `${w} ?`]),
        );
        const m = new Matcher({ entries }, new Analyzer());
        entries.forEach((e) => {
          for (const q of e.questions.fr!) expect(m.match(q, 'fr').candidates[0]?.id).toBe(e.id);
        });
      }),
      { numRuns: 30 },
    );
  });

  it('builds the same model twice from the same knowledge base (reproducible)', () => {
    const a = new Matcher(kb, new Analyzer(kb.synonyms)).match('je veux retourner mon aspirateur', 'fr');
    const b = new Matcher(kb, new Analyzer(kb.synonyms)).match('je veux retourner mon aspirateur', 'fr');
    expect(a).toEqual(b);
  });
});
