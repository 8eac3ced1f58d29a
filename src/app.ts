import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import type { SourceIssue } from './domain/errors';
import { LANGS, type KnowledgeBase, type Lang } from './domain/types';
import { Engine } from './engine/engine';
import { loadKnowledgeBase } from './knowledge/loader';
import type { ClassifierOptions } from './matching/classifier';
import { Matcher, mergeMatcherOptions, type MatcherOptions } from './matching/matcher';
import { Analyzer } from './nlp/analyzer';
import { LanguageDetector } from './nlp/language';
import { createHttpApp } from './server/http';
import { MemoryConversationStore, type ConversationStore } from './storage/conversations';

export interface Core {
  kb: KnowledgeBase;
  engine: Engine;
  warnings: SourceIssue[];
  buildMs: number;
}

/** The conversation core without HTTP: knowledge base, matcher, language detection, engine. */
export function buildCore(
  config: Pick<Config, 'kbDir' | 'defaultLang' | 'matching'>,
  store: ConversationStore = new MemoryConversationStore(),
  matcherOptions?: Partial<MatcherOptions> & { classifier?: Partial<ClassifierOptions> },
): Core {
  const t0 = performance.now();
  const { kb, warnings } = loadKnowledgeBase(config.kbDir);
  const analyzer = new Analyzer(kb.synonyms);
  const matcher = new Matcher(kb, analyzer, mergeMatcherOptions(matcherOptions));
  const samples: Partial<Record<Lang, string[]>> = {};
  for (const e of kb.entries) for (const l of LANGS) (samples[l] ??= []).push(...(e.questions[l] ?? []));
  const detector = new LanguageDetector(samples);
  const engine = new Engine({ kb, matcher, detector, store, options: { ...config.matching, defaultLang: config.defaultLang } });
  return { kb, engine, warnings, buildMs: performance.now() - t0 };
}

export function createLogger(config: Pick<Config, 'logLevel' | 'env'>): Logger {
  // Never log tokens or customer credentials.
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', 'token', '*.token', 'headers.authorization'] });
}

/** Wire everything once: the only place that builds objects and passes dependencies through constructors. */
export function buildApp(config: Config, log: Logger = createLogger(config)) {
  const core = buildCore(config);
  const http = createHttpApp({ engine: core.engine, log, maxBodyBytes: config.http.maxBodyBytes, publicDir: join(__dirname, '..', 'public') });
  return { ...core, http, log };
}
