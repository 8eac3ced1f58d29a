import { Analyzer } from '../../src/nlp/analyzer';
import { fold } from '../../src/nlp/normalize';
import { stem } from '../../src/nlp/stem';

const s = (w: string, lang: 'fr' | 'ro' | 'en') => stem(fold(w), lang);

describe('stemming per language', () => {
  it('English (natural Porter): inflections share a stem', () => {
    expect(s('warranties', 'en')).toBe(s('warranty', 'en'));
    expect(s('repairing', 'en')).toBe(s('repaired', 'en'));
    expect(s('deliveries', 'en')).toBe(s('delivery', 'en'));
  });

  it('French (natural Porter fr): with or without accents, singular or plural', () => {
    expect(s('réparation', 'fr')).toBe(s('reparation', 'fr'));
    expect(s('réparations', 'fr')).toBe(s('réparation', 'fr'));
    expect(s('livraisons', 'fr')).toBe(s('livraison', 'fr'));
    expect(s('remboursement', 'fr')).toBe(s('remboursements', 'fr'));
  });

  it('Romanian (snowball): articles and diacritics do not split words', () => {
    expect(s('garanția', 'ro')).toBe(s('garantia', 'ro'));
    expect(s('garanției', 'ro')).toBe(s('garanție', 'ro'));
    expect(s('rambursarea', 'ro')).toBe(s('rambursare', 'ro'));
    expect(s('comanda', 'ro')).toBe(s('comandă', 'ro'));
  });

  it('leaves numbers and short words alone', () => {
    expect(stem('2024', 'fr')).toBe('2024');
    expect(stem('tv', 'en')).toBe('tv');
  });
});

describe('Analyzer', () => {
  const analyzer = new Analyzer({
    fr: { frigo: 'réfrigérateur', 'machine a laver': 'lave-linge' },
    ro: { pachet: 'colet' },
  });

  it('applies synonyms (single words and phrases) before stemming', () => {
    expect(analyzer.analyze('mon frigo', 'fr').terms).toEqual(analyzer.analyze('mon réfrigérateur', 'fr').terms);
    expect(analyzer.analyze('ma machine à laver fuit', 'fr').terms).toEqual(
      analyzer.analyze('mon lave-linge fuit', 'fr').terms,
    );
    expect(analyzer.analyze('unde e pachetul', 'ro').words).toContain('pachetul'); // inflected forms are not synonyms...
    expect(analyzer.analyze('unde e pachet', 'ro').words).toContain('colet'); // ...the listed form is
  });

  it('drops stop words from terms but keeps negations', () => {
    const a = analyzer.analyze("colis pas reçu, c'est pour quand ?", 'fr');
    expect(a.terms).toContain('pas');
    expect(a.terms).not.toContain('pour');
  });

  it('keeps every stem when a message is only stop words', () => {
    expect(analyzer.analyze('what is it', 'en').terms.length).toBeGreaterThan(0);
  });
});
