/**
 * The held-out set of customer messages (test/heldout/*.yaml, issue 15): loading and checking it, and classifying
 * the bot's first reply to each message. Pure: the engine run lives in scripts/eval-heldout.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { LANGS, type Lang, type ReplySource } from '../domain/types';

/** Far above the set's size; a file this large is a mistake, not a held-out set. */
export const MAX_HELDOUT_BYTES = 1_000_000;
export const MAX_HELDOUT_ITEMS = 5000;
/** The engine clips longer messages and says so: a held-out message must be one it reads whole. */
export const MAX_HELDOUT_TEXT = 1000;

export const SPECIAL_EXPECTS = ['handoff', 'fallback'] as const;

export interface HeldoutItem {
  text: string;
  lang: Lang;
  /** Any of these is a right answer: entry ids, `handoff`, `fallback`, `smalltalk:<id>`. */
  expect: string[];
  kind: string[];
  /** 1-based position in the file, and the line it starts on (for error messages and failure lists). */
  index: number;
  line: number;
}

const tag = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lower-case tag like long, offtopic, person');
const expectation = z
  .string()
  .regex(/^(smalltalk:)?[a-z0-9][a-z0-9-]*$/, 'an entry id, handoff, fallback or smalltalk:<id>');
const itemSchema = z
  .object({
    text: z.string().trim().min(1, 'empty text').max(MAX_HELDOUT_TEXT),
    lang: z.enum(LANGS),
    expect: z.union([expectation, z.array(expectation).min(1)]),
    kind: z.union([tag, z.array(tag).min(1)]),
  })
  .strict();

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** Read a held-out file; a malformed item throws an AppError naming the file, the item and its line. */
export function loadHeldout(file: string): HeldoutItem[] {
  const size = statSync(file).size;
  if (size > MAX_HELDOUT_BYTES)
    throw new AppError('BAD_HELDOUT', `${file}: ${size} bytes, more than ${MAX_HELDOUT_BYTES}`);
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines });
  if (doc.errors.length) throw new AppError('BAD_HELDOUT', `${file}: ${doc.errors[0]!.message}`);
  const seq = doc.contents;
  if (!isSeq(seq)) throw new AppError('BAD_HELDOUT', `${file}: expected a list of items`);
  if (seq.items.length > MAX_HELDOUT_ITEMS)
    throw new AppError('BAD_HELDOUT', `${file}: ${seq.items.length} items, more than ${MAX_HELDOUT_ITEMS}`);
  return seq.items.map((node, i) => {
    const line = isMap(node) && node.range ? lines.linePos(node.range[0]).line : 0;
    const r = itemSchema.safeParse(isMap(node) ? node.toJSON() : node);
    if (!r.success) {
      const text = isMap(node) ? String(node.get('text') ?? '').slice(0, 60) : '';
      const why = r.error.issues.map((x) => `[${x.path.join('.') || 'item'}] ${x.message}`).join('; ');
      throw new AppError('BAD_HELDOUT', `${file}:${line}: item ${i + 1} ("${text}"): ${why}`);
    }
    const { text, lang, expect, kind } = r.data;
    return { text, lang, expect: list(expect), kind: list(kind), index: i + 1, line };
  });
}

/** What the knowledge base offers that an expectation may name. */
export interface KbIndex {
  /** Entry id -> its kind and the dialog it starts, if any. */
  entries: Map<string, { kind: string; dialog?: string }>;
}

export function kbIndexOf(entries: { id: string; kind: string; dialog?: string }[]): KbIndex {
  return {
    entries: new Map(entries.map((e) => [e.id, { kind: e.kind, ...(e.dialog ? { dialog: e.dialog } : {}) }])),
  };
}

/** Expectations that name nothing the knowledge base has (or name it the wrong way), as messages. */
export function unknownExpectations(items: HeldoutItem[], kb: KbIndex, file = 'held-out set'): string[] {
  const out: string[] = [];
  for (const it of items)
    for (const e of it.expect) {
      const at = `${file}:${it.line}: item ${it.index} ("${it.text.slice(0, 60)}")`;
      if ((SPECIAL_EXPECTS as readonly string[]).includes(e)) continue;
      if (e.startsWith('smalltalk:')) {
        const id = e.slice('smalltalk:'.length);
        if (kb.entries.get(id)?.kind !== 'smalltalk') out.push(`${at}: no smalltalk entry "${id}"`);
        continue;
      }
      const entry = kb.entries.get(e);
      if (!entry) out.push(`${at}: no knowledge-base entry "${e}"`);
      else if (entry.kind === 'smalltalk') out.push(`${at}: write smalltalk:${e} for a smalltalk entry`);
      else if (entry.kind === 'outofscope') out.push(`${at}: write fallback for the out-of-scope entry`);
      else if (entry.kind === 'handoff') out.push(`${at}: write handoff for the entry "${e}"`);
    }
  return out;
}

/**
 * right: the expected answer. clarify: a "did you mean" (not right, not a confident mistake). miss: the fallback
 * or a person where an answer was expected. wrong: an answer from another entry (or small talk), or any answer to
 * an off-topic message: a confident mistake.
 */
export type Outcome = 'right' | 'clarify' | 'miss' | 'wrong';

function fits(expected: string, s: ReplySource, kb: KbIndex): boolean {
  if (expected === 'handoff') return s.kind === 'handoff';
  if (expected === 'fallback') return s.kind === 'fallback';
  if (expected.startsWith('smalltalk:')) return s.kind === 'smalltalk' && s.id === expected.slice(10);
  if (s.kind === 'faq') return s.id === expected;
  // An entry that starts a dialog answers with the dialog's first question.
  const dialog = kb.entries.get(expected)?.dialog;
  return s.kind === 'dialog' && (s.id === expected || (dialog !== undefined && s.id === dialog));
}

export function classify(item: Pick<HeldoutItem, 'expect'>, source: ReplySource, kb: KbIndex): Outcome {
  if (item.expect.some((e) => fits(e, source, kb))) return 'right';
  if (source.kind === 'clarify') return 'clarify';
  if (source.kind === 'faq' || source.kind === 'dialog' || source.kind === 'smalltalk') return 'wrong';
  return 'miss';
}

export interface HeldoutResult {
  item: HeldoutItem;
  source: ReplySource;
  /** The language the bot answered in. */
  lang: Lang;
  outcome: Outcome;
}

export interface Tally {
  n: number;
  right: number;
  clarify: number;
  miss: number;
  /** Confident wrong answers: from the wrong entry, or any answer to an off-topic message. */
  wrong: number;
  /** Of `wrong`: faq/dialog answers to messages expecting the fallback. */
  offtopicAnswered: number;
  /** Replies in another language than the message's. */
  langMismatch: number;
  accuracy: number;
}

function tally(rs: HeldoutResult[]): Tally {
  const count = (o: Outcome) => rs.filter((r) => r.outcome === o).length;
  const right = count('right');
  return {
    n: rs.length,
    right,
    clarify: count('clarify'),
    miss: count('miss'),
    wrong: count('wrong'),
    offtopicAnswered: rs.filter(
      (r) =>
        r.outcome === 'wrong' &&
        r.item.expect.includes('fallback') &&
        (r.source.kind === 'faq' || r.source.kind === 'dialog'),
    ).length,
    langMismatch: rs.filter((r) => r.lang !== r.item.lang).length,
    accuracy: rs.length ? right / rs.length : 0,
  };
}

export interface HeldoutSummary {
  overall: Tally;
  byLang: Partial<Record<Lang, Tally>>;
  /** Per kind tag, over all languages. */
  byKind: Record<string, Tally>;
  /** Per language, per kind tag. */
  byLangKind: Partial<Record<Lang, Record<string, Tally>>>;
}

function byKindOf(rs: HeldoutResult[]): Record<string, Tally> {
  const kinds = [...new Set(rs.flatMap((r) => r.item.kind))].sort();
  return Object.fromEntries(kinds.map((k) => [k, tally(rs.filter((r) => r.item.kind.includes(k)))]));
}

export function summarize(rs: HeldoutResult[]): HeldoutSummary {
  const byLang: HeldoutSummary['byLang'] = {};
  const byLangKind: HeldoutSummary['byLangKind'] = {};
  for (const l of LANGS) {
    const of = rs.filter((r) => r.item.lang === l);
    if (!of.length) continue;
    byLang[l] = tally(of);
    byLangKind[l] = byKindOf(of);
  }
  return { overall: tally(rs), byLang, byKind: byKindOf(rs), byLangKind };
}

/** The shares the issue asks of the set, per language: long messages, off-topic ones, requests for a person. */
export const REQUIRED_SHARES = { long: 0.2, offtopic: 0.15, person: 0.1 } as const;
export const MIN_PER_LANG = 50;
