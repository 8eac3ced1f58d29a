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
   * The content words of `a` the shop never uses, when nothing specific it does use is there too (only generic
   * verbs like sell/buy, courtesy, stopwords and numbers): the message's subject is unknown. Empty otherwise.
   */
  unknownSubject(a: Analysis): string[] {
    const unknown: string[] = [];
    for (let i = 0; i < a.words.length; i++) {
      const w = a.words[i]!;
      const s = a.stems[i]!;
      if (w.length < 3 || /\d/.test(w) || isStopword(w, this.lang) || genericStems[this.lang].has(s)) continue;
      if (this.stems.has(s)) return [];
      unknown.push(w);
    }
    return unknown;
  }
}
