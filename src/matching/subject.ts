import type { Lang } from '../domain/types';
import type { Analysis } from '../nlp/analyzer';
import { stem } from '../nlp/stem';
import { isStopword } from '../nlp/stopwords';

// Words that say what the customer does, not what about: sharing only these with an entry is no evidence that the
// entry is the subject ("do you sell electric scooters?" shares "sell" with the spare-parts entry). Folded.
const GENERIC: Record<Lang, string> = {
  en: `sell sells sold selling buy buys bought buying purchase have has want wants need needs like would get got make
offer offers stock carry find look looking know tell please pls thanks thank hello hi hey also new one ones some any
electric electrical thing things stuff kind type sort good nice`,
  fr: `vendre vend vendez vendu vendus vendue vendues vente acheter achete achetez achat avoir avez vouloir veux voudrais
veut besoin chercher cherche proposer proposez propose faire faites trouver trouve bonjour merci svp aussi nouveau
nouvelle neuf neuve electrique electriques chose choses truc trucs genre type sorte bon bonne`,
  ro: `vinde vindeti vand vanzare vandut cumpara cumpar cumparat cumparati avea aveti aveți vreau vrea vreti doresc dori
nevoie caut cauta cautati gasi gasesc oferiti oferi oferta face faceti buna multumesc salut si nou noua noi electric
electrica electrice electrici lucru lucruri chestie chestii fel tip bun`,
};

/** Shorter words corrected into a known word are not taken as known (too many short words are one letter apart). */
const MIN_CORRECTED = 6;

const genericStems: Record<Lang, Set<string>> = { en: new Set(), fr: new Set(), ro: new Set() };
for (const lang of Object.keys(GENERIC) as Lang[])
  for (const w of GENERIC[lang].split(/\s+/)) if (w) genericStems[lang].add(stem(w, lang));

/**
 * The words of one language's knowledge base (sample questions and answers, after synonyms, as stems): a message
 * whose subject is none of them ("trottinettes") is about something the shop does not talk about, whatever entry
 * its verbs lean towards.
 */
export class Vocabulary {
  readonly stems = new Set<string>();

  constructor(readonly lang: Lang) {}

  /** A vocabulary after a structured clone (its set without the class). */
  static revive(o: Vocabulary): Vocabulary {
    return Object.setPrototypeOf(o, Vocabulary.prototype) as Vocabulary;
  }

  add(a: Analysis): void {
    for (const s of a.stems) this.stems.add(s);
  }

  /**
   * The content words of `raw` the shop never uses, when nothing specific it does use is there too (only generic
   * verbs like sell/buy, courtesy, stopwords and numbers): the message's subject is unknown. Empty otherwise.
   * `corrected` is `raw` with typos corrected (word for word): a corrected long word counts as known ("garentie"),
   * a short one does not ("placi" is one letter from "plati", not a misspelling of it).
   */
  unknownSubject(raw: Analysis, corrected: Analysis = raw): string[] {
    const unknown: string[] = [];
    const generic = genericStems[this.lang];
    for (let i = 0; i < raw.words.length; i++) {
      const w = raw.words[i]!;
      const s = raw.stems[i]!;
      if (w.length < 3 || /\d/.test(w) || isStopword(w, this.lang) || generic.has(s)) continue;
      const fixed = corrected.words.length === raw.words.length ? corrected.stems[i]! : s;
      if (this.stems.has(s) || (w.length >= MIN_CORRECTED && this.stems.has(fixed) && !generic.has(fixed))) return [];
      unknown.push(w);
    }
    return unknown;
  }
}
