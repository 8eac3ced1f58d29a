import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { Document, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { AppError } from '../domain/errors';
import { isLang, LANGS, type KbEntry, type Lang } from '../domain/types';
import { fold } from '../nlp/normalize';

/** One imported entry before it becomes YAML. */
export interface ImportedEntry {
  id: string;
  topic: string;
  title: Partial<Record<Lang, string>>;
  questions: Partial<Record<Lang, string[]>>;
  answer: Partial<Record<Lang, string>>;
  tags: string[];
  followUps: string[];
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Returns rows of fields. */
export function parseCsv(text: string, sep = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new AppError('INVALID_IMPORT', 'CSV: a quoted field is not closed', 400);
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

/** A cell a spreadsheet would run as a formula (OWASP "CSV injection"): =, +, -, @, tab or carriage return first. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell as written to CSV: a would-be formula gets a leading single quote (a spreadsheet then shows it as text). */
export const neutralizeCell = (v: string) => (FORMULA_START.test(v) ? `'${v}` : v);

/** What importCsv reads back: the single quote neutralizeCell added is removed. */
export const restoreCell = (v: string) => (v.startsWith("'") && FORMULA_START.test(v.slice(1)) ? v.slice(1) : v);

/** RFC 4180 CSV, every cell neutralized against formula injection (restoreCell undoes it). */
export function toCsv(rows: string[][]): string {
  const cell = (raw: string) => {
    const v = neutralizeCell(raw);
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** A topic as part of a file name: lower-case letters, digits and dashes only (never a path). */
export function topicSlug(topic: string): string {
  return (
    fold(topic)
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') // runs are one dash already: a single-character edge
      .slice(0, 60) || 'topic'
  );
}

/**
 * The files `npm run import` writes, one per topic: `out` for the first, `<out>-<topic slug>.yaml` beside it for the
 * others; each must resolve inside `folder` (the knowledge-base folder), whatever the file's topics say.
 */
export function importTargets(out: string, topics: string[], folder: string): string[] {
  const dir = resolve(folder);
  const first = resolve(out);
  const files = topics.map((t, i) =>
    i === 0 ? first : join(dirname(first), `${basename(first, extname(first))}-${topicSlug(t)}.yaml`),
  );
  for (const f of files) {
    const rel = relative(dir, f);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
      throw new AppError('INVALID_IMPORT', `${f} is outside the knowledge-base folder ${dir}`, 400);
  }
  return files;
}

/** "How long is the warranty?" -> "how-long-is-the-warranty" (at most `words` words), unique in `taken`. */
export function slugId(text: string, taken: Set<string>, words = 6): string {
  const base =
    fold(text)
      .replace(/[^a-z0-9]+/g, ' ')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, words)
      .join('-') || 'entry';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

// QnA Maker writes line breaks and tabs inside a cell as \n, \t (and a backslash as \\).
const unescapeTsv = (s: string) =>
  s.replace(/\\(n|r|t|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '' : c === 't' ? '\t' : '\\'));

interface QnaPrompt {
  DisplayOrder?: number;
  QnaId?: number | string;
  DisplayText?: string;
}

/**
 * A Microsoft QnA Maker / Custom Question Answering TSV export (Question, Answer, Source, Metadata,
 * SuggestedQuestions, IsContextOnly, Prompts, QnaId): rows of one QnaId are one entry; multi-turn prompts become
 * follow-ups (their display text the target's title when it has none); metadata "key:value|key:value" become tags
 * (a "language"/"lang" key sets the entry's language, otherwise `lang`).
 */
export function importQnaTsv(text: string, opts: { topic: string; lang: Lang }): ImportedEntry[] {
  const groups = qnaGroups(text);
  const taken = new Set<string>();
  const ids = new Map<string, string>();
  for (const [qnaId, g] of groups) ids.set(qnaId, slugId(g.questions[0] ?? `qna ${qnaId}`, taken));
  const entries: ImportedEntry[] = [];
  const titles = new Map<string, string>();
  for (const [qnaId, g] of groups) {
    const { lang, tags } = qnaMetadata(g.metadata, opts.lang);
    if (g.contextOnly) tags.push('context-only');
    entries.push({
      id: ids.get(qnaId)!,
      topic: opts.topic,
      title: {},
      questions: { [lang]: g.questions },
      answer: { [lang]: g.answer },
      tags,
      followUps: qnaFollowUps(g, ids, titles),
    });
  }
  for (const e of entries) {
    const lang = LANGS.find((l) => e.questions[l])!;
    e.title[lang] = titles.get(e.id) ?? e.questions[lang]![0]!;
  }
  return entries;
}

interface QnaGroup {
  questions: string[];
  answer: string;
  metadata: string;
  prompts: string;
  contextOnly: boolean;
  line: number;
}

/** The TSV's rows grouped by QnaId (in order of first appearance). */
function qnaGroups(text: string): Map<string, QnaGroup> {
  const lines = text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split('\t').map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name.toLowerCase());
  const need = ['Question', 'Answer', 'QnaId'];
  for (const n of need)
    if (col(n) < 0) throw new AppError('INVALID_IMPORT', `TSV: no "${n}" column (found: ${header.join(', ')})`, 400);
  const groups = new Map<string, QnaGroup>();
  lines.forEach((line, i) => {
    const f = line.split('\t');
    const get = (n: string) => (col(n) >= 0 ? unescapeTsv(f[col(n)] ?? '').trim() : '');
    const qnaId = get('QnaId');
    if (!qnaId) throw new AppError('INVALID_IMPORT', `TSV line ${i + 2}: empty QnaId`, 400);
    const g = groups.get(qnaId) ?? {
      questions: [],
      answer: get('Answer'),
      metadata: get('Metadata'),
      prompts: get('Prompts'),
      contextOnly: /^true$/i.test(get('IsContextOnly')),
      line: i + 2,
    };
    const q = get('Question');
    if (q && !g.questions.includes(q)) g.questions.push(q);
    if (!g.prompts || g.prompts === '[]') g.prompts = get('Prompts') || g.prompts;
    groups.set(qnaId, g);
  });
  return groups;
}

/** "key:value|key:value" metadata: tags, except a "language"/"lang" key, which sets the entry's language. */
function qnaMetadata(metadata: string, defaultLang: Lang): { lang: Lang; tags: string[] } {
  let lang = defaultLang;
  const tags: string[] = [];
  for (const pair of metadata
    .split('|')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [k, ...v] = pair.split(':');
    const key = k!.trim().toLowerCase();
    const value = v.join(':').trim();
    if ((key === 'language' || key === 'lang') && isLang(value.toLowerCase())) lang = value.toLowerCase() as Lang;
    else tags.push(value ? `${key}:${value}` : key);
  }
  return { lang, tags };
}

/** Multi-turn prompts as follow-up ids; a prompt's display text becomes its target's title (first one wins). */
function qnaFollowUps(g: QnaGroup, ids: Map<string, string>, titles: Map<string, string>): string[] {
  const followUps: string[] = [];
  if (!g.prompts || g.prompts === '[]') return followUps;
  let prompts: QnaPrompt[];
  try {
    prompts = JSON.parse(g.prompts) as QnaPrompt[];
  } catch (e) {
    throw new AppError('INVALID_IMPORT', `TSV line ${g.line}: Prompts is not JSON: ${(e as Error).message}`, 400);
  }
  for (const p of [...prompts].sort((a, b) => (a.DisplayOrder ?? 0) - (b.DisplayOrder ?? 0))) {
    const target = ids.get(String(p.QnaId));
    if (!target)
      throw new AppError('INVALID_IMPORT', `TSV line ${g.line}: prompt to unknown QnaId ${String(p.QnaId)}`, 400);
    followUps.push(target);
    if (p.DisplayText && !titles.has(target)) titles.set(target, p.DisplayText);
  }
  return followUps;
}

/**
 * Plain CSV with a header row: question, answer, language, topic (and optionally id, as `npm run export` writes).
 * Rows with the same id (or, without ids, the same topic, language and answer) are one entry.
 */
export function importCsv(text: string, opts: { topic: string; lang: Lang }): ImportedEntry[] {
  const rows = parseCsv(text);
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const col = (n: string) => header.indexOf(n);
  if (col('question') < 0 || col('answer') < 0)
    throw new AppError(
      'INVALID_IMPORT',
      `CSV: the header row must name at least "question" and "answer" (found: ${header.join(', ')})`,
      400,
    );
  const taken = new Set<string>();
  const byKey = new Map<string, ImportedEntry>();
  rows.forEach((r, i) => {
    const get = (n: string) => (col(n) >= 0 ? restoreCell((r[col(n)] ?? '').trim()) : '');
    const question = get('question');
    const answer = get('answer');
    const rawLang = get('language').toLowerCase() || opts.lang;
    if (!isLang(rawLang))
      throw new AppError(
        'INVALID_IMPORT',
        `CSV row ${i + 2}: language "${rawLang}" (expected ${LANGS.join(', ')})`,
        400,
      );
    const lang = rawLang;
    const topic = get('topic') || opts.topic;
    const id = get('id');
    const key = id || `${topic}\0${lang}\0${answer}`;
    let e = byKey.get(key);
    if (!e) {
      e = { id: id || slugId(question, taken), topic, title: {}, questions: {}, answer: {}, tags: [], followUps: [] };
      if (id) taken.add(id);
      byKey.set(key, e);
    }
    if (question) (e.questions[lang] ??= []).push(question);
    if (answer) e.answer[lang] ??= answer;
  });
  return [...byKey.values()];
}

/** Double-quoted on one line; a text with line breaks as a literal block (kept as written). */
const quoted = (v: string) => {
  const s = new Scalar(v);
  s.type = v.includes('\n') ? Scalar.BLOCK_LITERAL : Scalar.QUOTE_DOUBLE;
  return s;
};

/** One YAML knowledge-base file for `topic` (values double-quoted, one line each, as the shipped files). */
export function entriesToYaml(topic: string, entries: ImportedEntry[], comment: string): string {
  const doc = new Document({ topic, entries: [] as unknown[] });
  doc.commentBefore = ` yaml-language-server: $schema=../schema/knowledge-base.schema.json\n ${comment}`;
  const seq = doc.get('entries', true) as YAMLSeq;
  entries.forEach((e, i) => {
    const m = new YAMLMap();
    m.set('id', e.id);
    m.set('kind', 'faq');
    const perLang = (o: Partial<Record<Lang, string>>) => {
      const x = new YAMLMap();
      for (const l of LANGS) if (o[l]) x.set(l, quoted(o[l]!));
      return x;
    };
    m.set('title', perLang(e.title));
    const qs = new YAMLMap();
    for (const l of LANGS) {
      if (!e.questions[l]?.length) continue;
      const s = new YAMLSeq();
      s.items = e.questions[l]!.map(quoted);
      qs.set(l, s);
    }
    m.set('questions', qs);
    m.set('answer', perLang(e.answer));
    if (e.tags.length) {
      const t = new YAMLSeq();
      t.flow = true;
      t.items = e.tags.map((x) => new Scalar(x));
      m.set('tags', t);
    }
    if (e.followUps.length) {
      const f = new YAMLSeq();
      f.flow = true;
      f.items = e.followUps.map((x) => new Scalar(x));
      m.set('followUps', f);
    }
    if (i > 0) m.spaceBefore = true;
    seq.items.push(m);
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Rows for `npm run export`: one per sample question, the header first (importCsv reads it back). */
export function entriesToCsvRows(entries: KbEntry[]): string[][] {
  const rows = [['question', 'answer', 'language', 'topic', 'id']];
  for (const e of entries)
    for (const l of LANGS) for (const q of e.questions[l] ?? []) rows.push([q, e.answer[l] ?? '', l, e.topic, e.id]);
  return rows;
}
