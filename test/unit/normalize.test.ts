import fc from 'fast-check';
import { fold, foldAccents, normalizeText, tokenize } from '../../src/nlp/normalize';

describe('normalizeText', () => {
  it('is idempotent and never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const once = normalizeText(s);
        expect(normalizeText(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('fold is idempotent and leaves only lower-case letters, digits, apostrophes, hyphens and single spaces', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const f = fold(s);
        expect(fold(f)).toBe(f);
        expect(f).toBe(f.trim());
        expect(f).not.toMatch(/\s{2}/);
        expect(f).not.toMatch(/[\u0300-\u036f]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('lower-cases and folds accents so that customers may type without them', () => {
    expect(fold('Où EST ma RÉPARATION ?')).toBe('ou est ma reparation');
    expect(fold('Garanție mașină de spălat')).toBe('garantie masina de spalat');
    expect(foldAccents('cœur')).toBe('coeur');
  });

  it('treats Romanian s/t with cedilla and with comma below as the same letters', () => {
    expect(normalizeText('garanţia maşinii')).toBe(normalizeText('garanția mașinii'));
    expect(normalizeText('ŞTIU ŢARA')).toBe('știu țara');
  });

  it('removes emoji, punctuation, HTML and control characters', () => {
    expect(normalizeText('colis 📦 pas reçu !!! 😡')).toBe('colis pas reçu');
    expect(normalizeText('<b>bonjour</b>\u0000\u0007')).toBe('b bonjour b');
    expect(normalizeText('😀🎉')).toBe('');
    expect(normalizeText('   \t\n ')).toBe('');
  });

  it('canonicalizes typographic apostrophes', () => {
    expect(normalizeText('l’appareil')).toBe("l'appareil");
    expect(normalizeText('I`m')).toBe("i'm");
  });
});

describe('tokenize', () => {
  it('splits French elisions', () => {
    expect(tokenize(normalizeText("L'appareil qu'j'ai acheté"), 'fr')).toEqual([
      'l',
      'appareil',
      'qu',
      'j',
      'ai',
      'acheté',
    ]);
    expect(tokenize(normalizeText("jusqu'à l'écran"), 'fr')).toEqual(['jusqu', 'à', 'l', 'écran']);
  });

  it('expands English contractions', () => {
    expect(tokenize(normalizeText("It doesn't work, I'm upset"), 'en')).toEqual([
      'it',
      'does',
      'not',
      'work',
      'i',
      'am',
      'upset',
    ]);
    expect(tokenize(normalizeText("can't"), 'en')).toEqual(['can', 'not']);
  });

  it('keeps hyphenated compounds and strips stray hyphens', () => {
    expect(tokenize(normalizeText('lave-linge -- sèche-linge -'), 'fr')).toEqual(['lave-linge', 'sèche-linge']);
  });

  it('never returns empty tokens', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('fr', 'ro', 'en', undefined), (s, lang) => {
        for (const t of tokenize(normalizeText(s), lang)) expect(t.length).toBeGreaterThan(0);
      }),
    );
  });
});
