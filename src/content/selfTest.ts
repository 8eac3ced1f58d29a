import { LANGS, type KnowledgeBase, type Lang } from '../domain/types';
import { Analyzer } from '../nlp/analyzer';
import type { Matcher } from '../matching/matcher';

export interface Confusion {
  lang: Lang;
  entry: string;
  question: string;
  resolvedTo: string | null;
  confidence: number;
  file: string;
  line: number;
}

export interface NearDuplicate {
  lang: Lang;
  a: { entry: string; question: string };
  b: { entry: string; question: string };
  overlap: number;
}

interface Sample {
  entry: string;
  question: string;
  terms: Set<string>;
}

/**
 * Every sample question should resolve to its own entry; sample questions of different entries that say
 * nearly the same thing (word overlap >= `duplicateOverlap`) make the bot hesitate between them.
 * `duplicateOverlap` > 1: confusions only (the pairwise comparison is quadratic).
 */
export function selfTest(content: { kb: KnowledgeBase; matcher: Matcher }, duplicateOverlap = 0.8) {
  const { kb, matcher } = content;
  // The matcher's own analysis (same synonyms), built only when near-duplicates are looked for.
  const analyzer = duplicateOverlap <= 1 ? new Analyzer(kb.synonyms) : undefined;
  const confusions: Confusion[] = [];
  const duplicates: NearDuplicate[] = [];
  for (const lang of LANGS) {
    const items: Sample[] = [];
    for (const e of kb.entries) {
      for (const q of e.questions[lang] ?? []) {
        const m = matcher.match(q, lang);
        const top = m.candidates[0]?.id ?? null;
        if (top !== e.id)
          confusions.push({
            lang,
            entry: e.id,
            question: q,
            resolvedTo: top,
            confidence: m.confidence,
            file: e.source.file,
            line: e.source.line,
          });
        if (analyzer) items.push({ entry: e.id, question: q, terms: new Set(analyzer.analyze(q, lang).terms) });
      }
    }
    duplicates.push(...nearDuplicates(lang, items, duplicateOverlap));
  }
  return { confusions, duplicates };
}

/** Pairs of sample questions of different entries whose terms overlap (Jaccard) at least `min`. */
function nearDuplicates(lang: Lang, items: Sample[], min: number): NearDuplicate[] {
  const out: NearDuplicate[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!;
      const b = items[j]!;
      if (a.entry === b.entry || a.terms.size === 0 || b.terms.size === 0) continue;
      let inter = 0;
      for (const t of a.terms) if (b.terms.has(t)) inter++;
      const overlap = inter / (a.terms.size + b.terms.size - inter);
      if (overlap >= min)
        out.push({
          lang,
          a: { entry: a.entry, question: a.question },
          b: { entry: b.entry, question: b.question },
          overlap,
        });
    }
  }
  return out;
}
