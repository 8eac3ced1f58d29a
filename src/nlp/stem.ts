import type { Lang } from '../domain/types';

export interface Stemmer {
  stem(word: string): string;
}
// Require the stemmer modules directly: natural's index pulls in dotenv and prints banners, and these
// files have no type declarations of their own. natural has no Romanian stemmer: snowball-stemmers does.
/* eslint-disable @typescript-eslint/no-require-imports */
const PorterStemmer = require('natural/lib/natural/stemmers/porter_stemmer') as Stemmer;
const PorterStemmerFr = require('natural/lib/natural/stemmers/porter_stemmer_fr') as Stemmer;
const snowball = require('snowball-stemmers') as { newStemmer(lang: string): Stemmer };
/* eslint-enable @typescript-eslint/no-require-imports */

/** natural's own stemmers, as they are (no folding, no cache): natural's sentiment analyzer takes them. */
export const NATURAL_STEMMERS: Readonly<Record<'en' | 'fr', Stemmer>> = { en: PorterStemmer, fr: PorterStemmerFr };

const romanian = snowball.newStemmer('romanian');
const stemmers: Record<Lang, Stemmer> = {
  en: PorterStemmer,
  fr: PorterStemmerFr,
  ro: romanian,
};

const caches: Record<Lang, Map<string, string>> = { en: new Map(), fr: new Map(), ro: new Map() };
const CACHE_LIMIT = 200_000;

/**
 * Stem a folded (accent-free) token. We stem the folded form on both sides (knowledge base and customer
 * text) so that "réparation" and "reparation" always share a stem.
 */
export function stem(foldedToken: string, lang: Lang): string {
  if (foldedToken.length < 3 || /^\d+$/.test(foldedToken)) return foldedToken;
  const cache = caches[lang];
  let s = cache.get(foldedToken);
  if (s === undefined) {
    try {
      s = stemmers[lang].stem(foldedToken) || foldedToken;
    } catch {
      s = foldedToken;
    }
    if (cache.size > CACHE_LIMIT) cache.clear();
    cache.set(foldedToken, s);
  }
  return s;
}
