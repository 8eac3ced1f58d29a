import { createHash } from 'node:crypto';
import { ConnectorError, type Connector } from '../connectors/types';
import type { SourceIssue } from '../domain/errors';
import { LANGS, type KnowledgeBase, type Lang } from '../domain/types';
import { loadDialogFiles, type DialogSet } from '../dialogs/loader';
import { DialogRunner } from '../dialogs/runner';
import { loadKnowledgeBaseFiles } from '../knowledge/loader';
import type { ClassifierOptions } from '../matching/classifier';
import { Matcher, mergeMatcherOptions, type MatcherOptions } from '../matching/matcher';
import { Analyzer } from '../nlp/analyzer';
import { LanguageDetector } from '../nlp/language';
import type { Confusion } from './selfTest';
import { displayPath, type ContentDirs, type ContentFiles } from './files';

export interface BuildOptions {
  matcher?: Partial<MatcherOptions> & { classifier?: Partial<ClassifierOptions> };
  /** The back office the dialogs look records up in; without one (kb:check), every lookup fails as unreachable. */
  connector?: Connector;
  now?: () => Date;
  /** Warn about faq entries with fewer sample questions per language than this (kb:check); 0 or absent: never. */
  minQuestions?: number;
}

/** Everything the engine answers from, built from the content files and published as one unit. */
export interface PublishedContent {
  kb: KnowledgeBase;
  matcher: Matcher;
  detector: LanguageDetector;
  dialogs?: DialogRunner;
}

export interface BuildResult {
  /** Absent when the content is invalid: `errors` says why, `failedAt` where. */
  content?: PublishedContent;
  errors: SourceIssue[];
  warnings: SourceIssue[];
  failedAt?: 'knowledge-base' | 'dialogs';
  dialogCount: number;
  /** The self-test's confusions of `content` (sample questions resolving elsewhere), when the build computed them. */
  confusions?: Confusion[];
}

const noBackOffice: Connector = {
  lookup: () => Promise.reject(new ConnectorError('no back office in this build of the content')),
};

/** The language detector of a knowledge base: trained on its sample questions. */
export function languageDetectorOf(kb: Pick<KnowledgeBase, 'entries'>): LanguageDetector {
  const samples: Partial<Record<Lang, string[]>> = {};
  for (const e of kb.entries) for (const l of LANGS) (samples[l] ??= []).push(...(e.questions[l] ?? []));
  return new LanguageDetector(samples);
}

/** The published version id: one hash over the knowledge base's and the dialogs' own hashes. */
export function contentVersion(kbVersion: string, dialogsVersion: string): string {
  return createHash('sha256').update(`${kbVersion}:${dialogsVersion}`).digest('hex').slice(0, 12);
}

/** A build before it is wired to the back office: plain data and trained models (a worker thread sends these). */
export interface BuiltParts {
  kb: KnowledgeBase;
  dialogSet: DialogSet;
  matcher: Matcher;
  detector: LanguageDetector;
}

export type PartsResult = Omit<BuildResult, 'content'> & { parts?: BuiltParts };

/** What buildParts needs: plain, structured-cloneable options (no back office, no clock). */
export type PartsOptions = Pick<BuildOptions, 'matcher' | 'minQuestions'>;

/**
 * The costly part of a build — parse and validate the YAML, train the matcher and the language detector — from
 * the files' text. Returns the located issues instead when the content is invalid. The version id is a hash of
 * both the knowledge base and the dialogs.
 */
export function buildParts(files: ContentFiles, dirs: ContentDirs, opts: PartsOptions): PartsResult {
  const kbFiles = Object.keys(files.kb)
    .sort()
    .map((n) => ({ file: displayPath(dirs.kbDir, n), source: files.kb[n]! }));
  if (kbFiles.length === 0)
    return {
      errors: [{ file: dirs.kbDir, line: 1, column: 1, path: '', message: 'no .yaml files found' }],
      warnings: [],
      failedAt: 'knowledge-base',
      dialogCount: 0,
    };
  const loaded = loadKnowledgeBaseFiles(kbFiles, opts.minQuestions ? { minQuestions: opts.minQuestions } : {});
  const { warnings } = loaded;
  if (!loaded.kb) return { errors: loaded.errors, warnings, failedAt: 'knowledge-base', dialogCount: 0 };
  const dialogFiles = Object.keys(files.dialogs)
    .sort()
    .map((n) => ({ file: displayPath(dirs.dialogsDir, n), source: files.dialogs[n]! }));
  const d = loadDialogFiles(dialogFiles, loaded.kb);
  if (!d.set) return { errors: d.errors, warnings, failedAt: 'dialogs', dialogCount: 0 };
  const kb = { ...loaded.kb, version: contentVersion(loaded.kb.version, d.set.version) };
  const matcher = new Matcher(kb, new Analyzer(kb.synonyms), mergeMatcherOptions(opts.matcher));
  const detector = languageDetectorOf(kb);
  return { parts: { kb, dialogSet: d.set, matcher, detector }, errors: [], warnings, dialogCount: d.set.dialogs.size };
}

/** The published content of built parts: the dialogs wired to the back office (cheap). */
export function assemble(parts: BuiltParts, opts: BuildOptions): PublishedContent {
  const { kb, matcher, detector, dialogSet } = parts;
  const titles = new Map(kb.entries.map((e) => [e.id, e.title]));
  const dialogs = new DialogRunner(
    dialogSet,
    opts.connector ?? noBackOffice,
    opts.now,
    (id, lang) => titles.get(id)?.[lang],
  );
  return { kb, matcher, detector, dialogs };
}

/** Build everything the engine answers from, in this thread (start, kb:check, and where no worker can run). */
export function buildContent(files: ContentFiles, dirs: ContentDirs, opts: BuildOptions): BuildResult {
  const { parts, ...rest } = buildParts(files, dirs, opts);
  return parts ? { ...rest, content: assemble(parts, opts) } : rest;
}
