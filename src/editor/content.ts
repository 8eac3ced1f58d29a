import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Connector } from '../connectors/types';
import type { SourceIssue } from '../domain/errors';
import { LANGS, type Lang } from '../domain/types';
import { loadDialogFiles } from '../dialogs/loader';
import { DialogRunner } from '../dialogs/runner';
import type { EngineContent } from '../engine/engine';
import { listYamlFiles, loadKnowledgeBaseFiles } from '../knowledge/loader';
import type { ClassifierOptions } from '../matching/classifier';
import { Matcher, mergeMatcherOptions, type MatcherOptions } from '../matching/matcher';
import { Analyzer } from '../nlp/analyzer';
import { LanguageDetector } from '../nlp/language';

/** The content files' text, by file name (no folder), for the knowledge base and the dialogs. */
export interface ContentFiles {
  kb: Record<string, string>;
  dialogs: Record<string, string>;
}

export interface ContentDirs {
  kbDir: string;
  dialogsDir: string;
}

export interface BuildOptions {
  matcher?: Partial<MatcherOptions> & { classifier?: Partial<ClassifierOptions> };
  connector: Connector;
  now?: () => Date;
}

export interface BuiltContent extends EngineContent {
  analyzer: Analyzer;
}

/** Read every .yaml file of both folders (a missing dialogs folder means no dialogs). */
export function readContentFiles(dirs: ContentDirs): ContentFiles {
  const read = (dir: string) =>
    Object.fromEntries(listYamlFiles(dir).map((f) => [f.slice(dir.length + 1), readFileSync(f, 'utf8')]));
  return { kb: read(dirs.kbDir), dialogs: existsSync(dirs.dialogsDir) ? read(dirs.dialogsDir) : {} };
}

/** Hash of the raw files (names and bytes): tells whether anything changed on disk. */
export function filesHash(files: ContentFiles): string {
  const h = createHash('sha256');
  for (const part of ['kb', 'dialogs'] as const)
    for (const name of Object.keys(files[part]).sort())
      h.update(part).update('\0').update(name).update('\0').update(files[part][name]!).update('\0');
  return h.digest('hex');
}

/** The published version id: one hash over the knowledge base's and the dialogs' own hashes. */
export function contentVersion(kbVersion: string, dialogsVersion: string): string {
  return createHash('sha256').update(`${kbVersion}:${dialogsVersion}`).digest('hex').slice(0, 12);
}

/** Name shown in error messages: the path relative to the working directory, as the loaders always did. */
export const displayPath = (dir: string, name: string) => relative(process.cwd(), join(dir, name)) || name;

/**
 * Build everything the engine answers from — knowledge base, matcher, language detector, dialogs — off to the
 * side, from the files' text. Returns the located issues instead when the content is invalid. The version id
 * is a hash of both the knowledge base and the dialogs.
 */
export function buildContent(
  files: ContentFiles,
  dirs: ContentDirs,
  opts: BuildOptions,
): { content?: BuiltContent; errors: SourceIssue[]; warnings: SourceIssue[] } {
  const kbFiles = Object.keys(files.kb)
    .sort()
    .map((n) => ({ file: displayPath(dirs.kbDir, n), source: files.kb[n]! }));
  if (kbFiles.length === 0)
    return {
      errors: [{ file: dirs.kbDir, line: 1, column: 1, path: '', message: 'no .yaml files found' }],
      warnings: [],
    };
  const loaded = loadKnowledgeBaseFiles(kbFiles);
  if (!loaded.kb) return { errors: loaded.errors, warnings: loaded.warnings };
  const dialogFiles = Object.keys(files.dialogs)
    .sort()
    .map((n) => ({ file: displayPath(dirs.dialogsDir, n), source: files.dialogs[n]! }));
  const d = loadDialogFiles(dialogFiles, loaded.kb);
  if (!d.set) return { errors: d.errors, warnings: loaded.warnings };
  const version = contentVersion(loaded.kb.version, d.set.version);
  const kb = { ...loaded.kb, version };
  const analyzer = new Analyzer(kb.synonyms);
  const matcher = new Matcher(kb, analyzer, mergeMatcherOptions(opts.matcher));
  const samples: Partial<Record<Lang, string[]>> = {};
  for (const e of kb.entries) for (const l of LANGS) (samples[l] ??= []).push(...(e.questions[l] ?? []));
  const detector = new LanguageDetector(samples);
  const titles = new Map(kb.entries.map((e) => [e.id, e.title]));
  const dialogs = new DialogRunner(d.set, opts.connector, opts.now, (id, lang) => titles.get(id)?.[lang]);
  return { content: { kb, matcher, detector, dialogs, analyzer }, errors: [], warnings: loaded.warnings };
}
