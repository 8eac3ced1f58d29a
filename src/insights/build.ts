import type { KbEntry, KnowledgeBase, Lang } from '../domain/types';
import { Analyzer } from '../nlp/analyzer';
import type { InsightsStore } from '../storage/ports';
import { Insights, topicIndex } from './service';

/** What the inbox needs of the engine's matching: the best candidate and the confidence. */
export interface InsightsMatch {
  confidence: number;
  candidates: readonly { id: string }[];
}

/**
 * Figures and the unanswered inbox over the store, grouping with the matcher's analysis of the text. `kb` returns
 * the knowledge base in use (a getter, so that a reloaded one is picked up: analyzer, titles and topics follow it).
 */
export function buildInsights(
  deps: { kb: () => KnowledgeBase; engine: { match(text: string, lang: Lang): InsightsMatch }; store: InsightsStore },
  defaultLang: Lang,
  now?: () => Date,
): Insights {
  let cached:
    | {
        version: string;
        analyzer: Analyzer;
        titles: Map<string, KbEntry['title']>;
        topicOf: ReturnType<typeof topicIndex>;
      }
    | undefined;
  const current = () => {
    const kb = deps.kb();
    if (cached?.version !== kb.version)
      cached = {
        version: kb.version,
        analyzer: new Analyzer(kb.synonyms),
        titles: new Map(kb.entries.map((e) => [e.id, e.title])),
        topicOf: topicIndex(kb),
      };
    return cached;
  };
  return new Insights({
    store: deps.store,
    termsOf: (text, lang) => current().analyzer.analyze(text, lang).terms,
    guess: (text, lang) => {
      const m = deps.engine.match(text, lang);
      const c = m.candidates[0];
      return c
        ? {
            id: c.id,
            title: current().titles.get(c.id)?.[lang] ?? c.id,
            confidence: Math.round(m.confidence * 1000) / 1000,
          }
        : undefined;
    },
    topicOf: (source) => current().topicOf(source),
    defaultLang,
    ...(now ? { now } : {}),
  });
}
