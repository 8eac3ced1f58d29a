import { RE2JS } from 're2js';
import type { Lang } from '../domain/types';
import { fold } from '../nlp/normalize';
import { isLink } from './attachments';
import type { AskStep } from './schema';

export type SlotResult = { ok: true; value: string } | { ok: false };

// Customer text goes through RE2 (re2js): linear time whatever the input, where a backtracking engine can take
// quadratic time or worse (an email pattern over 16,000 "a" froze the server for seconds).
/** The groups of the first match of `re` in `text` ([0] is the whole match), or undefined. */
export function firstMatch(re: RE2JS, text: string): string[] | undefined {
  return (re.exec(text) as string[] | null) ?? undefined;
}

const ORDER = RE2JS.compile('\\bmv[\\s-]?(\\d{7})\\b', RE2JS.CASE_INSENSITIVE);
const FILE = RE2JS.compile('\\br[\\s-]?(\\d{6})\\b', RE2JS.CASE_INSENSITIVE);
/** An email address anywhere in a text (slot values, and the contact passed on with a handoff). */
export const EMAIL = RE2JS.compile('[^\\s\\p{Z}@<>()]+@[^\\s\\p{Z}@<>()]+\\.[a-z]{2,}', RE2JS.CASE_INSENSITIVE);
const ISO_DATE = RE2JS.compile('\\b(\\d{4})-(\\d{1,2})-(\\d{1,2})\\b');
const DMY_DATE = RE2JS.compile('\\b(\\d{1,2})[/.-](\\d{1,2})[/.-](\\d{2}|\\d{4})\\b');
const NUMBER = RE2JS.compile('^-?\\d+(?:[.,]\\d+)?$');
const PHONE = RE2JS.compile('^\\+?\\d{9,15}$');

/**
 * An editor's `pattern` slot, compiled with RE2 (case-insensitive, JavaScript syntax translated): linear time on
 * any answer; backreferences and lookaround are refused (the loader reports them with the file and line).
 */
export function compilePattern(source: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(source), RE2JS.CASE_INSENSITIVE);
}
const patterns = new Map<string, RE2JS>();
function patternOf(source: string): RE2JS {
  let re = patterns.get(source);
  if (!re) {
    re = compilePattern(source);
    if (patterns.size > 1000) patterns.clear();
    patterns.set(source, re);
  }
  return re;
}

const YES = new Set([
  'oui',
  'ouais',
  'yes',
  'yeah',
  'yep',
  'da',
  'sigur',
  'bien sur',
  'of course',
  'ok',
  'd accord',
  'exact',
  'correct',
  'desigur',
]);
const NO = new Set([
  'non',
  'no',
  'nope',
  'nu',
  'pas du tout',
  'not at all',
  'deloc',
  'nu am',
  'non merci',
  'no thanks',
]);
const SKIP = new Set([
  'passer',
  'skip',
  'sari peste',
  'pas de photo',
  'no photo',
  'fara poza',
  'nu am poza',
  'sans photo',
  'aucune',
  'none',
  'nimic',
]);
const RELATIVE: Record<string, number> = {
  "aujourd'hui": 0,
  aujourdhui: 0,
  today: 0,
  azi: 0,
  astazi: 0,
  hier: -1,
  yesterday: -1,
  ieri: -1,
  'avant hier': -2,
  'avant-hier': -2,
  alaltaieri: -2,
  'day before yesterday': -2,
};

function isoDate(y: number, m: number, d: number): string | undefined {
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return undefined;
  return dt.toISOString().slice(0, 10);
}

export function addToDate(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A date the customer typed, as YYYY-MM-DD: 2026-03-14, 14/03/2026, 14.03.26, "hier", "ieri", "today". */
export function parseDate(text: string, today: string): string | undefined {
  const f = fold(text);
  for (const [w, delta] of Object.entries(RELATIVE))
    if (f === fold(w) || f.endsWith(` ${fold(w)}`)) return addToDate(today, delta);
  let m = firstMatch(ISO_DATE, text);
  if (m) return isoDate(+m[1]!, +m[2]!, +m[3]!);
  m = firstMatch(DMY_DATE, text);
  if (m) {
    const y = m[3]!.length === 2 ? 2000 + +m[3]! : +m[3]!;
    return isoDate(y, +m[2]!, +m[1]!);
  }
  return undefined;
}

/** Values that can be recognized inside any sentence (used to fill a slot from the first message). */
export function extract(type: AskStep['type'], text: string): string | undefined {
  if (type === 'orderNumber') {
    const m = firstMatch(ORDER, text);
    return m ? `MV-${m[1]}` : undefined;
  }
  if (type === 'fileNumber') {
    const m = firstMatch(FILE, text);
    return m ? `R-${m[1]}` : undefined;
  }
  if (type === 'email') return firstMatch(EMAIL, text)?.[0];
  return undefined;
}

/** The choices whose value, label or `says` words appear as whole words in a sentence (4 letters or more). */
function choicesIn(step: AskStep, text: string, lang: Lang): string[] {
  const f = ` ${fold(text)} `;
  return (step.choices ?? [])
    .filter((c) =>
      [c.value.replace(/[-_]/g, ' '), c.label[lang], ...(c.says?.[lang] ?? [])]
        .map(fold)
        .some((x) => x.length >= 4 && f.includes(` ${x} `)),
    )
    .map((c) => c.value);
}

/**
 * A slot's value found inside the message that started the dialog, so that what the customer already said is not
 * asked again. Only the types that can be told apart in free text: numbers of our formats, an email, a date, and a
 * choice named by exactly one of its words (two choices named: ambiguous, the step asks). Free text, yes/no, plain
 * numbers, phones and patterns are always asked, as is a step with `prefill: false`.
 */
export function prefill(step: AskStep, text: string, lang: Lang, today: string): string | undefined {
  if (step.prefill === false || !text) return undefined;
  switch (step.type) {
    case 'orderNumber':
    case 'fileNumber':
    case 'email':
      return extract(step.type, text);
    case 'date': {
      const d = parseDate(text, today);
      return d && !(step.past && d > today) ? d : undefined;
    }
    case 'choice': {
      const found = choicesIn(step, text, lang);
      return found.length === 1 ? found[0] : undefined;
    }
    default:
      return undefined;
  }
}

/** Words of a product name too common to tell two items apart (the brand, units). */
const COMMON = new Set(['volta', 'pieces', 'piece', 'litres', 'litre']);
/** Model codes ("LV-45" -> "lv45") and the distinctive words (5 letters or more) of a folded text. */
function productKeys(text: string): { codes: Set<string>; words: Set<string> } {
  const f = fold(text);
  const codes = new Set(
    (f.match(/\b[a-z]{1,3}-?[a-z]?\d{1,4}\b/g) ?? []).map((c) => c.replace('-', '')).filter((c) => /\d/.test(c)),
  );
  const words = new Set(f.split(/[^a-z0-9]+/).filter((w) => w.length >= 5 && !COMMON.has(w) && !/\d/.test(w)));
  return { codes, words };
}

/**
 * The one item of a record's comma-separated list (`order.items`) that a message names, by its model code
 * ("LV-45", "lv45") or a distinctive word of its name ("lave-vaisselle"); undefined when none or several are named.
 */
export function pickItem(list: string, text: string): string | undefined {
  const said = productKeys(text);
  const named = list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .filter((item) => {
      const k = productKeys(item);
      return [...k.codes].some((c) => said.codes.has(c)) || [...k.words].some((w) => said.words.has(w));
    });
  return named.length === 1 ? named[0] : undefined;
}

// "sans photo", "pas de facture", "no photos", "fără poză", "nu am factura": no file to send, in any language.
const NO_FILE =
  /^(sans|pas de|aucune|no|without|fara|nu am|nu am nicio|nicio) (photo|photos|image|images|facture|fichier|document|picture|pictures|invoice|file|poza|poze|fotografie|fotografii|imagine|factura|fisier|document)$/;

export function isSkip(text: string): boolean {
  const f = fold(text);
  return SKIP.has(f) || NO_FILE.test(f);
}

/** Validate and normalize the customer's answer to an `ask` step. */
export function parseSlot(step: AskStep, text: string, lang: Lang, today: string): SlotResult {
  const t = text.trim();
  const f = fold(t);
  switch (step.type) {
    case 'text':
      return t.length >= 2 && t.length <= 500 && /\p{L}/u.test(t) ? { ok: true, value: t } : { ok: false };
    case 'number': {
      const m = firstMatch(NUMBER, t.replace(/\s/g, ''));
      return m ? { ok: true, value: m[0].replace(',', '.') } : { ok: false };
    }
    case 'date': {
      const d = parseDate(t, today);
      if (!d || (step.past && d > today)) return { ok: false };
      return { ok: true, value: d };
    }
    case 'yesno': {
      const first = f.split(' ').slice(0, 2).join(' ');
      if (YES.has(f) || YES.has(first) || YES.has(f.split(' ')[0]!)) return { ok: true, value: 'yes' };
      if (NO.has(f) || NO.has(first) || NO.has(f.split(' ')[0]!)) return { ok: true, value: 'no' };
      return { ok: false };
    }
    case 'choice': {
      const choices = step.choices ?? [];
      const n = Number(f);
      if (Number.isInteger(n) && n >= 1 && n <= choices.length) return { ok: true, value: choices[n - 1]!.value };
      for (const c of choices) {
        const names = [c.value, c.label[lang], ...(c.says?.[lang] ?? [])].map(fold);
        if (names.some((x) => x === f || (x.length >= 4 && ` ${f} `.includes(` ${x} `))))
          return { ok: true, value: c.value };
      }
      return { ok: false };
    }
    case 'email': {
      const m = firstMatch(EMAIL, t);
      return m && m[0].length === t.length ? { ok: true, value: m[0] } : { ok: false };
    }
    case 'phone': {
      const digits = t.replace(/[\s.\-()]/g, '');
      return PHONE.test(digits) ? { ok: true, value: digits } : { ok: false };
    }
    case 'orderNumber':
    case 'fileNumber': {
      const v = extract(step.type, t);
      return v ? { ok: true, value: v } : { ok: false };
    }
    case 'pattern': {
      return patternOf(step.pattern ?? '.*').test(t) ? { ok: true, value: t } : { ok: false };
    }
    case 'attachment':
      // Typed text answers a file step only as a link to the file (the files themselves come with the message).
      return isLink(t) ? { ok: true, value: t } : { ok: false };
  }
}
