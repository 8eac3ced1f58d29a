/**
 * npm run report -- [--since 7d] [--until ISO] [--lang fr] [--channel widget] [--topic T] [--json] — service
 * figures from the stored conversations (the database the server uses: SQLITE_FILE or DATABASE_URL).
 */
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../src/config';
import { isLang } from '../src/domain/types';
import { formatFigures } from '../src/insights/format';
import { Insights, topicIndex } from '../src/insights/service';
import { loadKnowledgeBase } from '../src/knowledge/loader';
import { Analyzer } from '../src/nlp/analyzer';
import { createStore } from '../src/storage/sql/store';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      since: { type: 'string', default: '7d' },
      until: { type: 'string' },
      lang: { type: 'string' },
      channel: { type: 'string' },
      topic: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.lang !== undefined && !isLang(values.lang)) {
    console.error(`--lang must be fr, ro or en, not "${values.lang}"`);
    return 2;
  }
  loadDotEnv();
  const config = loadConfig();
  const { kb } = loadKnowledgeBase(config.kbDir);
  const analyzer = new Analyzer(kb.synonyms);
  const store = await createStore(config.storage);
  try {
    const insights = new Insights({
      store,
      termsOf: (t, l) => analyzer.analyze(t, l).terms,
      topicOf: topicIndex(kb),
      defaultLang: config.defaultLang,
    });
    const figures = await insights.figures(
      { since: values.since, ...(values.until ? { until: values.until } : {}) },
      {
        ...(isLang(values.lang) ? { lang: values.lang } : {}),
        ...(values.channel ? { channel: values.channel } : {}),
        ...(values.topic ? { topic: values.topic } : {}),
      },
    );
    console.log(values.json ? JSON.stringify(figures) : formatFigures(figures));
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`report: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
