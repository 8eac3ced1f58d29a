import fc from 'fast-check';
import { join } from 'node:path';
import { LANGS, type Lang } from '../../src/domain/types';
import { loadKnowledgeBase } from '../../src/knowledge/loader';
import { LanguageDetector } from '../../src/nlp/language';

const { kb } = loadKnowledgeBase(join(__dirname, '..', '..', 'knowledge-base'));
const samples: Partial<Record<Lang, string[]>> = {};
for (const e of kb.entries) for (const l of LANGS) (samples[l] ??= []).push(...(e.questions[l] ?? []));
const detector = new LanguageDetector(samples);

describe('LanguageDetector', () => {
  it.each([
    ['fr', 'où est mon colis ?'],
    ['fr', 'je veux parler à un conseiller'],
    ['fr', 'mon lave-linge fait un bruit bizarre'],
    ['fr', 'ou en est ma reparation'],
    ['fr', 'merci beaucoup'],
    ['ro', 'unde este comanda mea?'],
    ['ro', 'vreau să vorbesc cu un operator'],
    ['ro', 'garantia la frigider cat tine'],
    ['ro', 'mulțumesc frumos'],
    ['ro', 'cât costă reparaţia?'],
    ['en', 'where is my parcel?'],
    ['en', 'real person please'],
    ['en', 'my fridge stopped working'],
    ['en', 'thanks a lot'],
  ] as const)('%s: %s', (lang, text) => {
    expect(detector.detect(text).lang).toBe(lang);
  });

  it('is sure of clear sentences and less sure of a lone product name', () => {
    expect(detector.detect("Bonjour, je n'ai toujours pas reçu ma commande").confidence).toBeGreaterThan(0.9);
    expect(detector.detect('Samsung').confidence).toBeLessThan(0.9);
  });

  it('never throws and returns a confidence in [1/3, 1]', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const g = detector.detect(s);
        expect(LANGS).toContain(g.lang);
        expect(g.confidence).toBeGreaterThanOrEqual(1 / 3 - 1e-9);
        expect(g.confidence).toBeLessThanOrEqual(1 + 1e-9);
      }),
    );
  });
});
