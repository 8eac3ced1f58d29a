/**
 * Typo correction against the knowledge base's own words, by symmetric deletion (as in SymSpell): two words
 * are one edit apart (insertion, deletion, substitution, adjacent swap) when deleting at most one letter from
 * each gives the same string. Lookups cost a few map reads, whatever the vocabulary size.
 */
export class SpellingCorrector {
  private readonly freq = new Map<string, number>();
  private readonly deletes = new Map<string, string[]>();

  constructor(readonly minLength = 5) {}

  /** A corrector after a structured clone (its maps without the class). */
  static revive(o: SpellingCorrector): SpellingCorrector {
    return Object.setPrototypeOf(o, SpellingCorrector.prototype) as SpellingCorrector;
  }

  add(word: string): void {
    const f = this.freq.get(word);
    this.freq.set(word, (f ?? 0) + 1);
    if (f !== undefined || word.length < this.minLength - 1) return;
    for (const d of variants(word)) {
      const list = this.deletes.get(d);
      if (!list) this.deletes.set(d, [word]);
      else if (!list.includes(word)) list.push(word);
    }
  }

  has(word: string): boolean {
    return this.freq.has(word);
  }

  /** The most frequent known word one edit away, or undefined (known, short or numeric words are left alone). */
  correct(word: string): string | undefined {
    if (word.length < this.minLength || this.freq.has(word) || /\d/.test(word)) return undefined;
    let best: string | undefined;
    let bestFreq = 0;
    for (const d of variants(word)) {
      for (const w of this.deletes.get(d) ?? []) {
        if (!oneEditApart(word, w)) continue;
        const f = this.freq.get(w)!;
        if (f > bestFreq || (f === bestFreq && best !== undefined && w < best)) {
          best = w;
          bestFreq = f;
        }
      }
    }
    return best;
  }
}

/** The word itself and every string with one letter deleted. */
function variants(w: string): string[] {
  const out = [w];
  for (let i = 0; i < w.length; i++) out.push(w.slice(0, i) + w.slice(i + 1));
  return out;
}

/** Damerau-Levenshtein distance <= 1 (the deletion index also pairs some words two edits apart). */
function oneEditApart(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
