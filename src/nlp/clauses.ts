import type { Lang } from '../domain/types';
import { foldAccents } from './normalize';

/**
 * Long messages tell a story before they ask ("I bought a dishwasher a month ago and it leaks at night, can I get
 * it fixed under warranty?"). This finds the asking part: the clauses that end with a question mark or open with an
 * interrogative word, a request ("can I", "est-ce que", "pot să") or a wish ("I want", "je veux", "vreau"), so
 * that the matcher can weigh them over the narrative.
 */

// Clause openings that ask, folded (no accents), per language; matched at the start of a clause.
const ASKING: Record<Lang, RegExp> = {
  en: /^(?:(?:so|and|but|please|pls|ok|well|now|then)\s+)*(?:how|what|whats|when|where|why|who|which|whom|can|could|would|will|do|does|did|is|are|am|should|shall|may|might|any|i\s+(?:want|wanna|would\s+like|d\s+like|need|wish|am\s+looking|m\s+looking)|i'd\s+like|is\s+there|are\s+there|tell\s+me|let\s+me\s+know|help)\b/,
  fr: /^(?:(?:et|mais|alors|donc|svp|bref|du\s+coup)\s+)*(?:est[\s-]ce|comment|quand|ou\s+(?:est|en|sont|puis|peut|trouver)|pourquoi|quel(?:le)?s?|combien|qui|que|qu|quoi|pouvez|peux|puis|pourriez|pourrais|vous\s+(?:pouvez|pourriez|avez|faites|vendez|proposez)|on\s+peut|peut[\s-]on|y\s+a[\s-]t[\s-]il|il\s+faut|je\s+(?:veux|voudrais|souhaite|cherche|dois|peux)|j'?\s?(?:aimerais|ai\s+besoin|voudrais)|aidez|dites)\b/,
  ro: /^(?:(?:si|dar|deci|va\s+rog|vă\s+rog|acum)\s+)*(?:cum|cand|unde|de\s+ce|ce|cine|cat|cate|cati|care|pot|poti|puteti|se\s+poate|as\s+(?:vrea|dori|putea)|vreau|doresc|am\s+nevoie|imi\s+puteti|ma\s+puteti|exista|aveti|trebuie|ajutati|spuneti)\b/,
};

// Where a sentence splits into clauses: commas and the connectors that start a new statement. No \s* around the
// alternatives (the parts are trimmed after): spaces matched two ways make a backtracking engine slow on long input.
const CLAUSE_BREAK: Record<Lang, RegExp> = {
  en: /,|\s-\s|\s(?=(?:but|and\s+(?:can|could|how|what|when|where|i\s+want|i\s+need))\b)/,
  fr: /,|\s-\s|\s(?=(?:mais|donc|et\s+(?:est[\s-]ce|comment|je\s+veux|je\s+voudrais|vous\s+pouvez))\b)/,
  ro: /,|\s-\s|\s(?=(?:dar|deci|iar|si\s+(?:cum|cand|pot|vreau|as\s+vrea))\b)/,
};

/** `s` without the trailing characters of `chars` (a loop: a `[...]+$` pattern is quadratic on a backtracking engine). */
function trimEndOf(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return s.slice(0, end);
}

export interface Clauses {
  /** The clauses that ask, joined; undefined when the message is a single clause or nothing in it asks. */
  asking?: string;
  /** How many clauses the message has. */
  count: number;
}

// Anything that may separate clauses: punctuation, a dash, or a connector of CLAUSE_BREAK.
const MAYBE_SEVERAL = /[,.!?;…\n]|\s-\s|\b(?:but|and|mais|donc|et|dar|deci|iar|si|și)\b/i;

/** At most this many characters are segmented (the matcher reads no more either). */
const MAX_CHARS = 1000;

/** The asking part of a message of several clauses (see the file's comment). */
export function askingClauses(text: string, lang: Lang): Clauses {
  const s = text.slice(0, MAX_CHARS);
  // Most messages are one clause: nothing that could separate two (the hot path of matching).
  if (!MAYBE_SEVERAL.test(trimEndOf(s, ' \t\r\n.!?…'))) return { count: 1 };
  // Sentences, each remembering whether it ended with a question mark.
  const sentences: { text: string; question: boolean }[] = [];
  for (const m of s.matchAll(/[^.!?;…\n]+([.!?;…\n]*)/g)) {
    const t = m[0].slice(0, m[0].length - m[1]!.length).trim();
    if (t) sentences.push({ text: t, question: m[1]!.includes('?') });
  }
  const clauses: { text: string; question: boolean; asks: boolean }[] = [];
  for (const sentence of sentences) {
    const parts = sentence.text
      .split(CLAUSE_BREAK[lang])
      .map((p) => p.trim())
      .filter((p) => /\p{L}/u.test(p));
    parts.forEach((p, i) => {
      const folded = foldAccents(p.toLowerCase()).replace(/’/g, "'").trim();
      const asks = ASKING[lang].test(folded);
      // The question mark belongs to the last clause of its sentence.
      clauses.push({ text: p, question: sentence.question && i === parts.length - 1, asks });
    });
  }
  if (clauses.length < 2) return { count: clauses.length };
  const asking = clauses.filter((c) => c.question || c.asks);
  if (asking.length === 0 || asking.length === clauses.length) return { count: clauses.length };
  return { asking: asking.map((c) => c.text).join(' '), count: clauses.length };
}
