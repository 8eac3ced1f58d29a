import type { Lang, SynonymMap } from '../domain/types';
import { foldAccents, normalizeText, tokenize } from './normalize';
import { stem } from './stem';
import { isStopword } from './stopwords';

export interface Analysis {
  lang: Lang;
  /** Folded words after synonym replacement, stopwords kept (for bigrams and language cues). */
  words: string[];
  /** Stems of all words. */
  stems: string[];
  /** Stems of content words (stopwords removed); falls back to all stems if nothing is left. */
  terms: string[];
}

interface Phrase {
  from: string[];
  to: string[];
}

/**
 * Turns customer or knowledge-base text into matching terms for one language:
 * normalize -> tokenize (elisions, contractions) -> fold accents -> synonyms -> stem.
 */
export class Analyzer {
  private readonly phrases: Record<Lang, Map<string, Phrase[]>> = { fr: new Map(), ro: new Map(), en: new Map() };

  constructor(synonyms: SynonymMap = {}) {
    for (const lang of Object.keys(synonyms) as Lang[]) {
      const table = synonyms[lang] ?? {};
      for (const [variant, canonical] of Object.entries(table)) {
        const from = this.words(variant, lang);
        const to = this.words(canonical, lang);
        if (from.length === 0 || to.length === 0) continue;
        const list = this.phrases[lang].get(from[0]!) ?? [];
        list.push({ from, to });
        list.sort((a, b) => b.from.length - a.from.length); // longest phrase wins
        this.phrases[lang].set(from[0]!, list);
      }
    }
  }

  /** Folded word tokens of a text, before synonyms. */
  words(text: string, lang: Lang): string[] {
    return tokenize(foldAccents(normalizeText(text)), lang);
  }

  analyze(text: string, lang: Lang): Analysis {
    return this.fromWords(this.applySynonyms(this.words(text, lang), lang), lang);
  }

  /** Analysis of already tokenized, folded words (after synonyms), e.g. once typos are corrected. */
  fromWords(words: string[], lang: Lang): Analysis {
    const stems = words.map((w) => stem(w, lang));
    let terms = stems.filter((_, i) => !isStopword(words[i]!, lang));
    if (terms.length === 0) terms = stems;
    return { lang, words, stems, terms };
  }

  private applySynonyms(words: string[], lang: Lang): string[] {
    const table = this.phrases[lang];
    if (table.size === 0) return words;
    const out: string[] = [];
    for (let i = 0; i < words.length;) {
      const candidates = table.get(words[i]!);
      let matched: Phrase | undefined;
      if (candidates) {
        for (const p of candidates) {
          if (p.from.every((w, k) => words[i + k] === w)) {
            matched = p;
            break;
          }
        }
      }
      if (matched) {
        out.push(...matched.to);
        i += matched.from.length;
      } else {
        out.push(words[i]!);
        i++;
      }
    }
    return out;
  }
}
