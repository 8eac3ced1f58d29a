import { isDeepStrictEqual } from 'node:util';
import {
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  Scalar,
  YAMLMap,
  YAMLSeq,
  type Document,
  type ToStringOptions,
} from 'yaml';
import { AppError } from '../domain/errors';

/**
 * Edits of one entry in a knowledge-base YAML file that leave every byte outside that entry as it was
 * (comments, quoting, line breaks of the other entries). The yaml Document API edits the entry's nodes;
 * its re-serialisation of the whole file may reformat other entries (long lines folded, flow maps padded),
 * so only the edited entry's text is taken from it and spliced into the original source. The result is
 * parsed again and must hold exactly the intended data, otherwise the whole re-serialised file is used.
 */

// No folding of long answers: an edited entry keeps one line per value, like the files editors write.
const STRINGIFY: ToStringOptions = { lineWidth: 0, minContentWidth: 0, flowCollectionPadding: false };

type Doc = Document.Parsed;

function parse(source: string): Doc {
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length)
    throw new AppError('INVALID_CONTENT', `the file is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, 422);
  return doc;
}

function entriesOf(doc: Doc): YAMLSeq | undefined {
  const seq = doc.get('entries', true);
  return isSeq(seq) ? seq : undefined;
}

function indexOf(seq: YAMLSeq | undefined, id: string): number {
  return seq ? seq.items.findIndex((it) => isMap(it) && it.get('id') === id) : -1;
}

function end(node: unknown): number {
  return (node as { range: [number, number, number] }).range[2];
}
function start(node: unknown): number {
  return (node as { range: [number, number, number] }).range[0];
}

/** Use the splice if it reads back as `expected`; otherwise the whole file as the yaml package writes it. */
function checked(spliced: string | undefined, expected: unknown, whole: string): string {
  if (spliced !== undefined) {
    const back = parseDocument(spliced);
    if (back.errors.length === 0 && isDeepStrictEqual(back.toJS(), expected)) return spliced;
  }
  return whole;
}

/** Change the entry `id` in place with `mutate` (which edits its YAML nodes). */
export function editEntry(source: string, id: string, mutate: (doc: Doc, entry: YAMLMap) => void): string {
  const doc = parse(source);
  const seq = entriesOf(doc);
  const i = indexOf(seq, id);
  if (i < 0) throw new AppError('ENTRY_NOT_FOUND', `no entry "${id}" in this file`, 404);
  const item = seq!.items[i] as YAMLMap;
  const [from, to] = [start(item), end(item)];
  mutate(doc, item);
  const whole = doc.toString(STRINGIFY);
  const again = entriesOf(parseDocument(whole))?.items[i];
  const spliced = again ? source.slice(0, from) + whole.slice(start(again), end(again)) + source.slice(to) : undefined;
  return checked(spliced, doc.toJS(), whole);
}

/** Add an entry at the end of the file's `entries`. */
export function appendEntry(source: string, data: Record<string, unknown>): string {
  const doc = parse(source);
  let seq = entriesOf(doc);
  if (!seq || seq.items.length === 0) {
    doc.set('entries', doc.createNode([data]));
    return doc.toString(STRINGIFY);
  }
  const last = seq.items[seq.items.length - 1]!;
  const at = end(last);
  const node = doc.createNode(data);
  node.spaceBefore = true;
  seq.items.push(node);
  const whole = doc.toString(STRINGIFY);
  seq = entriesOf(parseDocument(whole));
  const n = seq?.items.length ?? 0;
  const spliced =
    n >= 2
      ? source.slice(0, at) + whole.slice(end(seq!.items[n - 2]), end(seq!.items[n - 1])) + source.slice(at)
      : undefined;
  return checked(spliced, doc.toJS(), whole);
}

/** Remove the entry `id` (with the comment lines just above it). */
export function removeEntry(source: string, id: string): string {
  const doc = parse(source);
  const seq = entriesOf(doc);
  const i = indexOf(seq, id);
  if (i < 0) throw new AppError('ENTRY_NOT_FOUND', `no entry "${id}" in this file`, 404);
  const item = seq!.items[i]!;
  let spliced: string | undefined;
  if (seq!.items.length === 1) spliced = source.slice(0, start(seq)) + '[]' + source.slice(end(seq));
  else if (i > 0) spliced = source.slice(0, end(seq!.items[i - 1])) + source.slice(end(item));
  else if (seq!.items.length > 1) {
    // The first entry: from the start of its line to the end of the blank lines after it.
    const lineStart = source.lastIndexOf('\n', start(item)) + 1;
    const after = /^[^\S\n]*\n(?:[^\S\n]*\n)*/.exec(source.slice(end(item)));
    spliced = source.slice(0, lineStart) + source.slice(end(item) + (after?.[0].length ?? 0));
  }
  seq!.delete(i);
  return checked(spliced, doc.toJS(), doc.toString(STRINGIFY));
}

/** A new file for a new topic. */
export function newTopicFile(topic: string, data: Record<string, unknown>): string {
  const doc = parseDocument(`# Topic ${topic}: created through the admin API.\ntopic: ${topic}\nentries: []\n`);
  doc.set('entries', doc.createNode([data]));
  return doc.toString(STRINGIFY);
}

/** A scalar in the same quoting style as its neighbours (double quotes stay double quotes). */
function styled(value: string, like: unknown): Scalar {
  const s = new Scalar(value);
  if (isScalar(like) && (like.type === Scalar.QUOTE_DOUBLE || like.type === Scalar.QUOTE_SINGLE)) s.type = like.type;
  return s;
}

function firstScalar(node: unknown): Scalar | undefined {
  if (isScalar(node)) return node;
  if (isSeq(node) || isMap(node)) {
    for (const it of node.items) {
      const s = firstScalar(isMap(node) ? (it as { value: unknown }).value : it);
      if (s) return s;
    }
  }
  return undefined;
}

/** Set (or, with an empty value, remove) `entry.<key>.<lang>` for a per-language text (title, answer). */
export function setLangText(
  doc: Doc,
  entry: YAMLMap,
  key: 'title' | 'answer',
  lang: string,
  value: string | null,
): void {
  const found: unknown = entry.get(key, true);
  let m: YAMLMap;
  if (isMap(found)) m = found;
  else {
    if (!value) return;
    m = new YAMLMap();
    entry.set(key, m);
  }
  if (!value) m.delete(lang);
  else m.set(lang, styled(value, m.get(lang, true) ?? firstScalar(m) ?? firstScalar(entry.get('answer', true))));
  if (m.items.length === 0) entry.delete(key);
  void doc;
}

/** Replace the sample questions of one language (keeping the list's node, hence its style). */
export function setQuestions(doc: Doc, entry: YAMLMap, lang: string, questions: string[]): void {
  const found: unknown = entry.get('questions', true);
  let m: YAMLMap;
  if (isMap(found)) m = found;
  else {
    m = new YAMLMap();
    entry.set('questions', m);
  }
  const like = firstScalar(m);
  if (questions.length === 0) {
    m.delete(lang);
    return;
  }
  const list: unknown = m.get(lang, true);
  let s: YAMLSeq;
  if (isSeq(list)) s = list;
  else {
    s = new YAMLSeq();
    m.set(lang, s);
  }
  const old = s.items;
  s.items = questions.map((q, i) => styled(q, old[i] ?? like));
  void doc;
}

/** Add one sample question at the end of a language's list. */
export function addQuestion(doc: Doc, entry: YAMLMap, lang: string, question: string): void {
  const m = entry.get('questions', true);
  const seq = isMap(m) ? m.get(lang, true) : undefined;
  const current = isSeq(seq) ? seq.items.map((x) => String(isScalar(x) ? x.value : x)) : [];
  setQuestions(doc, entry, lang, [...current, question]);
}
