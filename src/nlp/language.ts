import { LANGS, type Lang } from '../domain/types';
import { foldAccents, normalizeText, tokenize } from './normalize';
import { stopwords } from './stopwords';

export interface LanguageGuess {
  lang: Lang;
  /** Probability-like share of the best language in [1/3, 1]. */
  confidence: number;
  /** Word tokens seen: short messages carry little evidence. */
  words: number;
}

// Letters that (almost) only one of our languages uses.
const CUES: Record<Lang, RegExp> = {
  ro: /[ășțşţ]/g,
  fr: /[éèêëçàùûœïÿ]/g,
  en: /(?!)/g,
};
// Short everyday words: strong evidence in short messages (seed for the character model too).
const SEED: Record<Lang, string> = {
  en: 'hello hi thanks thank you please my the is it not where when how what why can could would order delivery parcel refund return warranty repair broken help want need speak person human agent invoice payment bye goodbye who are you',
  fr: 'bonjour salut merci svp mon ma mes le la les est pas ne où quand comment quoi pourquoi peux pouvez je voudrais commande livraison colis remboursement retour garantie réparation cassé aide veux besoin parler conseiller humain facture paiement au revoir qui êtes vous',
  ro: 'bună salut mulțumesc vă rog meu mea este nu unde când cum ce de ce pot puteți aș vrea comanda livrare colet rambursare retur garanție reparație stricat ajutor vreau am nevoie vorbesc operator om factura plată la revedere cine ești tu',
};

function grams(folded: string, out: string[]): void {
  const p = ` ${folded} `;
  for (let i = 0; i + 3 <= p.length; i++) out.push(p.substring(i, i + 3));
}

/**
 * Naive Bayes language identification for short customer messages (fr/ro/en): character trigrams and words
 * learned from the knowledge base's own sample questions, plus function words and diacritics as cues.
 */
export class LanguageDetector {
  private readonly counts: Record<Lang, Map<string, number>> = { fr: new Map(), ro: new Map(), en: new Map() };
  private readonly totals: Record<Lang, number> = { fr: 0, ro: 0, en: 0 };
  private vocabulary = new Set<string>();

  /** A detector after a structured clone (its counts without the class): built in a worker thread. */
  static revive(o: LanguageDetector): LanguageDetector {
    return Object.setPrototypeOf(o, LanguageDetector.prototype) as LanguageDetector;
  }

  constructor(samples: Partial<Record<Lang, string[]>> = {}) {
    for (const lang of LANGS) {
      for (let i = 0; i < 3; i++) this.learn(lang, SEED[lang]);
      for (const w of stopwords(lang)) this.learn(lang, w);
      for (const s of samples[lang] ?? []) this.learn(lang, s);
    }
  }

  private learn(lang: Lang, text: string): void {
    const folded = foldAccents(normalizeText(text));
    const feats: string[] = [];
    grams(folded, feats);
    for (const w of tokenize(folded)) feats.push('#' + w);
    const m = this.counts[lang];
    for (const f of feats) {
      m.set(f, (m.get(f) ?? 0) + 1);
      this.vocabulary.add(f);
    }
    this.totals[lang] += feats.length;
  }

  detect(text: string): LanguageGuess {
    const norm = normalizeText(text);
    const folded = foldAccents(norm);
    const words = tokenize(folded);
    const feats: string[] = [];
    grams(folded, feats);
    for (const w of words) feats.push('#' + w, '#' + w); // words count double: they are better evidence
    const V = this.vocabulary.size + 1;
    const scores = LANGS.map((lang) => {
      const m = this.counts[lang];
      const denom = Math.log(this.totals[lang] + V);
      let s = 0;
      for (const f of feats) s += Math.log((m.get(f) ?? 0) + 1) - denom;
      s += 4 * (norm.match(CUES[lang])?.length ?? 0);
      return s;
    });
    // Normalize per feature so confidence does not explode with length.
    const n = Math.max(1, feats.length / 4);
    const max = Math.max(...scores);
    const exps = scores.map((s) => Math.exp((s - max) / n));
    const sum = exps.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let i = 1; i < LANGS.length; i++) if (scores[i]! > scores[best]!) best = i;
    return { lang: LANGS[best]!, confidence: exps[best]! / sum, words: words.length };
  }
}

/** How sure the detector must be before a first message sets the conversation's language. */
export const FIRST_MESSAGE_CONFIDENCE = 0.5;
/** A conversation switches language only on a clear message: this sure, and at least this many words. */
export const SWITCH_CONFIDENCE = 0.9;
export const SWITCH_MIN_WORDS = 3;

/**
 * The one language rule, used by the bot, the editors' "try a question" console and kb:check: a first message sets
 * the language when the detector is sure enough (else the default); later messages switch only when clearly in
 * another language, so that "ok" or an order number never flips a French conversation to English.
 */
export function resolveLanguage(
  detector: Pick<LanguageDetector, 'detect'>,
  text: string,
  current: Lang | undefined,
  defaultLang: Lang,
): { lang: Lang; guess: LanguageGuess } {
  const guess = detector.detect(text);
  if (!current) return { lang: guess.confidence >= FIRST_MESSAGE_CONFIDENCE ? guess.lang : defaultLang, guess };
  const clearSwitch =
    guess.lang !== current && guess.confidence >= SWITCH_CONFIDENCE && guess.words >= SWITCH_MIN_WORDS;
  return { lang: clearSwitch ? guess.lang : current, guess };
}
