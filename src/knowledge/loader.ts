import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ContentError, type SourceIssue } from '../domain/errors';
import { LANGS, type KbEntry, type KbTopic, type KnowledgeBase, type Lang, type SynonymMap } from '../domain/types';
import { fold } from '../nlp/normalize';
import { kbFileSchema, type KbFile } from './schema';
import { issueAt, parseYaml, validateYaml, type ParsedYaml } from './yamlSource';

export interface LoadOptions {
  /** Minimum sample questions per language for faq entries (warning-free content). 0 disables. */
  minQuestions?: number;
}

export interface LoadResult {
  kb?: KnowledgeBase;
  errors: SourceIssue[];
  warnings: SourceIssue[];
}

export function listYamlFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new ContentError([
      { file: dir, line: 1, column: 1, path: '', message: `cannot read directory: ${(e as Error).message}` },
    ]);
  }
  return names
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()
    .map((n) => join(dir, n))
    .filter((f) => statSync(f).isFile());
}

/** What the files loaded so far have produced; each step adds to it. */
interface LoadState {
  errors: SourceIssue[];
  warnings: SourceIssue[];
  entries: KbEntry[];
  topics: KbTopic[];
  synonyms: SynonymMap;
  /** Where each id was first defined (duplicates and cross-file references). */
  where: Map<string, { p: ParsedYaml; path: (string | number)[] }>;
}

type EntryData = NonNullable<KbFile['entries']>[number];

/** Load and validate every YAML file of a knowledge-base folder. Never throws for bad content: returns issues. */
export function loadKnowledgeBaseFiles(files: { file: string; source: string }[], opts: LoadOptions = {}): LoadResult {
  const st: LoadState = { errors: [], warnings: [], entries: [], topics: [], synonyms: {}, where: new Map() };
  const hash = createHash('sha256');
  for (const { file, source } of files) {
    hash
      .update(file.split(/[\\/]/).pop() ?? file)
      .update('\0')
      .update(source)
      .update('\0');
    loadFile(st, file, source, opts);
  }
  checkFollowUps(st);
  const { errors, warnings, entries, topics, synonyms } = st;
  if (files.length > 0 && entries.length === 0 && errors.length === 0)
    errors.push({ file: files[0]!.file, line: 1, column: 1, path: '', message: 'the knowledge base has no entries' });
  if (errors.length) return { errors, warnings };
  return { kb: { entries, topics, synonyms, version: hash.digest('hex').slice(0, 12) }, errors, warnings };
}

function loadFile(st: LoadState, file: string, source: string, opts: LoadOptions): void {
  const { parsed, issues } = parseYaml(file, source);
  st.errors.push(...issues);
  if (!parsed) return;
  const { value: data, issues: invalid } = validateYaml<KbFile>(parsed, kbFileSchema);
  if (!data) {
    st.errors.push(...invalid);
    return;
  }
  const topicId =
    data.topic ??
    basename(file)
      .replace(/\.ya?ml$/i, '')
      .toLowerCase();
  if (data.entries?.length) st.topics.push({ id: topicId, title: data.title ?? {}, file });
  data.entries?.forEach((e, i) => loadEntry(st, parsed, e, ['entries', i], topicId, opts));
  if (data.synonyms) addSynonyms(st, parsed, data.synonyms);
}

function loadEntry(
  st: LoadState,
  parsed: ParsedYaml,
  e: EntryData,
  path: (string | number)[],
  topicId: string,
  opts: LoadOptions,
): void {
  const prev = st.where.get(e.id);
  if (prev) {
    const at = issueAt(prev.p, [...prev.path, 'id'], '');
    st.errors.push(issueAt(parsed, [...path, 'id'], `duplicate id "${e.id}" (first defined at ${at.file}:${at.line})`));
    return;
  }
  st.where.set(e.id, { p: parsed, path });
  const kind = e.kind ?? 'faq';
  let total = 0;
  for (const lang of LANGS) total += checkQuestions(st, parsed, e, path, lang, kind, opts);
  if (total === 0) st.errors.push(issueAt(parsed, [...path, 'questions'], 'expected at least one sample question'));
  for (const lang of LANGS) {
    if (e.answer?.[lang] && !e.questions[lang]?.length)
      st.warnings.push(
        issueAt(
          parsed,
          [...path, 'answer', lang],
          `answer in "${lang}" but no ${lang} sample questions: it can never be matched in ${lang}`,
        ),
      );
  }
  st.entries.push({
    id: e.id,
    kind,
    topic: topicId,
    title: e.title ?? {},
    questions: e.questions,
    answer: e.answer ?? {},
    tags: e.tags ?? [],
    products: e.products ?? [],
    followUps: e.followUps ?? [],
    dialog: e.dialog,
    ...(e.handoff ? { handoff: true } : {}),
    source: { file: parsed.file, line: issueAt(parsed, path, '').line },
  });
}

/** Check an entry's sample questions in one language; returns how many there are. */
function checkQuestions(
  st: LoadState,
  parsed: ParsedYaml,
  e: EntryData,
  path: (string | number)[],
  lang: Lang,
  kind: KbEntry['kind'],
  opts: LoadOptions,
): number {
  const qs = e.questions[lang];
  if (!qs) return 0;
  if (qs.length > 0 && kind !== 'outofscope' && !e.answer?.[lang])
    st.errors.push(
      issueAt(parsed, [...path, 'answer'], `missing answer for language "${lang}" (the entry has ${lang} questions)`),
    );
  const seen = new Map<string, number>();
  qs.forEach((q, qi) => {
    const key = fold(q);
    if (!key) st.errors.push(issueAt(parsed, [...path, 'questions', lang, qi], 'question has no words'));
    else if (seen.has(key))
      st.warnings.push(issueAt(parsed, [...path, 'questions', lang, qi], `same question as [${seen.get(key)}]`));
    else seen.set(key, qi);
  });
  if (opts.minQuestions && kind === 'faq' && qs.length < opts.minQuestions)
    st.warnings.push(
      issueAt(
        parsed,
        [...path, 'questions', lang],
        `only ${qs.length} sample question(s); ${opts.minQuestions} or more match better`,
      ),
    );
  return qs.length;
}

function addSynonyms(st: LoadState, parsed: ParsedYaml, synonyms: NonNullable<KbFile['synonyms']>): void {
  for (const lang of Object.keys(synonyms) as Lang[]) {
    const table = (st.synonyms[lang] ??= {});
    for (const [canonical, variants] of Object.entries(synonyms[lang] ?? {})) {
      const c = fold(canonical);
      for (const v of Array.isArray(variants) ? variants : [variants]) {
        const k = fold(v);
        if (!k || k === c) continue;
        if (table[k] && table[k] !== c)
          st.errors.push(
            issueAt(parsed, ['synonyms', lang, canonical], `"${v}" is already a synonym of "${table[k]}"`),
          );
        else table[k] = c;
      }
    }
  }
}

/** Cross-file references, once every id is known. */
function checkFollowUps(st: LoadState): void {
  for (const e of st.entries) {
    const w = st.where.get(e.id)!;
    e.followUps.forEach((f, i) => {
      if (!st.where.has(f)) st.errors.push(issueAt(w.p, [...w.path, 'followUps', i], `unknown follow-up id "${f}"`));
      else if (f === e.id)
        st.errors.push(issueAt(w.p, [...w.path, 'followUps', i], 'an entry cannot follow up on itself'));
    });
  }
}

/** Read a folder and load it; throws ContentError (file:line:column for each issue) when it is invalid. */
export function loadKnowledgeBase(dir: string, opts: LoadOptions = {}): { kb: KnowledgeBase; warnings: SourceIssue[] } {
  const files = listYamlFiles(dir).map((file) => ({
    file: relative(process.cwd(), file) || file,
    source: readFileSync(file, 'utf8'),
  }));
  if (files.length === 0)
    throw new ContentError([{ file: dir, line: 1, column: 1, path: '', message: 'no .yaml files found' }]);
  const r = loadKnowledgeBaseFiles(files, opts);
  if (!r.kb) throw new ContentError(r.errors);
  return { kb: r.kb, warnings: r.warnings };
}
