/**
 * Text normalization shared by matching and language detection.
 * Every function here is total (never throws) and idempotent: normalize(normalize(x)) === normalize(x).
 */

const APOSTROPHES = /[\u2018\u2019\u201B\u02BC\u02BB\u0060\u00B4\u2032]/g;
// Romanian: s/t with cedilla (legacy keyboards) and with comma below are the same letters.
const RO_CEDILLA: Record<string, string> = {
  '\u015F': '\u0219',
  '\u0163': '\u021B',
  '\u015E': '\u0218',
  '\u0162': '\u021A',
};

/** Lower-case, canonical apostrophes and Romanian letters, control characters, emoji and punctuation to spaces. */
export function normalizeText(input: string): string {
  if (typeof input !== 'string') return '';
  let s = input.normalize('NFC').toLowerCase();
  s = s.replace(/[\u015F\u0163\u015E\u0162]/g, (c) => RO_CEDILLA[c] ?? c);
  s = s.replace(APOSTROPHES, "'");
  // Keep letters, digits, apostrophes and hyphens (inside words); everything else (emoji, punctuation,
  // control characters, HTML) becomes a space.
  s = s.replace(/[^\p{L}\p{N}'\- ]+/gu, ' ');
  // Apostrophes and hyphens at the edges of words go (a loop, not a regular expression: the backtracking one was
  // quadratic on a long run of hyphens).
  s = s
    .split(' ')
    .map((w) => trimEdges(w, "'-"))
    .join(' ');
  return s.replace(/\s+/g, ' ').trim();
}

/** `s` without the characters of `chars` at its start and end. */
export function trimEdges(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start]!)) start++;
  while (end > start && chars.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Remove diacritics: customers often type without them ("garantie", "réparation" -> "reparation"). */
export function foldAccents(s: string): string {
  // Fast path: plain ASCII has nothing to fold (most English and many customer messages).
  // eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included, on purpose
  if (!/[^\x00-\x7f]/.test(s)) return s;
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss');
}

/** Normalized and accent-folded: the form used for matching and synonyms. */
export function fold(input: string): string {
  return foldAccents(normalizeText(input));
}

const FR_ELISION = /\b(l|j|d|qu|n|s|c|m|t|jusqu|lorsqu|puisqu)'(?=\p{L})/gu;
const EN_CONTRACTIONS: [RegExp, string][] = [
  [/\b(can)'t\b/g, 'can not'],
  [/\bwon't\b/g, 'will not'],
  [/n't\b/g, ' not'],
  [/'m\b/g, ' am'],
  [/'re\b/g, ' are'],
  [/'ll\b/g, ' will'],
  [/'ve\b/g, ' have'],
  [/'d\b/g, ' would'],
  [/'s\b/g, ''],
];

/** Split normalized text into word tokens, expanding French elisions and English contractions. */
export function tokenize(normalized: string, lang?: string): string[] {
  let s = normalized;
  if (s.includes("'")) {
    if (lang === 'fr' || lang === undefined) s = s.replace(FR_ELISION, '$1 ');
    if (lang === 'en' || lang === undefined) for (const [re, to] of EN_CONTRACTIONS) s = s.replace(re, to);
  }
  const out: string[] = [];
  for (const raw of s.split(/[\s']+/)) {
    // hyphens: keep compound words ("lave-linge") as one token but also accept split parts via synonyms.
    const t = trimEdges(raw, '-');
    if (t) out.push(t);
  }
  return out;
}
