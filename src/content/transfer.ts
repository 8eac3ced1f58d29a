import type { DialogSet } from '../dialogs/loader';
import type { KnowledgeBase } from '../domain/types';
import { Matcher, mergeMatcherOptions, type LanguageModelState, type MatcherState } from '../matching/matcher';
import { Analyzer } from '../nlp/analyzer';
import { LanguageDetector } from '../nlp/language';
import { assemble, type BuildOptions, type BuildResult, type PartsResult } from './build';
import type { ContentDirs, ContentFiles } from './files';
import { selfTest } from './selfTest';

/** What the main thread asks the build worker. */
export interface BuildRequest {
  id: number;
  files: ContentFiles;
  dirs: ContentDirs;
  options: Pick<BuildOptions, 'matcher' | 'minQuestions'>;
}

/** A build as the worker sends it: structured-cloneable (no classes, no functions). */
export type TransferredBuild = Omit<BuildResult, 'content'> & {
  parts?: { kb: KnowledgeBase; dialogSet: DialogSet; matcher: MatcherState; detector: LanguageDetector };
};

/**
 * The worker's messages for one build: each language model on its own (each is read by this thread in a task of
 * its own, between requests), then the rest of the build; or the error.
 */
export type BuildReply =
  { id: number; model: LanguageModelState } | { id: number; result: TransferredBuild } | { id: number; error: string };

/** In the worker: the parts as data, and the self-test's confusions (the regression check's costly half). */
export function toTransfer(r: PartsResult): TransferredBuild {
  const { parts, ...rest } = r;
  if (!parts) return rest;
  const confusions = selfTest(parts, 2).confusions;
  return { ...rest, confusions, parts: { ...parts, matcher: parts.matcher.toState() } };
}

const yieldToRequests = () => new Promise<void>((r) => setImmediate(r));

/**
 * On the main thread: the cheap rebuild (search indexes reloaded, classes restored, dialogs wired), no training,
 * in short steps with the event loop free between them.
 */
export async function fromTransfer(t: TransferredBuild, opts: BuildOptions): Promise<BuildResult> {
  const { parts, ...rest } = t;
  if (!parts) return rest;
  const { kb } = parts;
  const analyzer = new Analyzer(kb.synonyms);
  const matcherOpts = mergeMatcherOptions(opts.matcher);
  const matcher = await Matcher.fromState(parts.matcher, analyzer, matcherOpts, yieldToRequests);
  const detector = LanguageDetector.revive(parts.detector);
  return { ...rest, content: assemble({ kb, dialogSet: parts.dialogSet, matcher, detector }, opts) };
}
