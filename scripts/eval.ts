/**
 * npm run eval -- <dataset-dir> [--split test|dev] [--shots N] [--peers] [--json] [--lang fr|ro|en]
 * Matching quality and speed on a dataset in the ../shared/eval format, optionally beside peers measured
 * in the same run (plain minisearch, nlp.js).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError } from '../src/domain/errors';
import { isLang, LANGS, type Lang } from '../src/domain/types';
import {
  datasetEntries,
  loadDataset,
  metrics,
  percentile,
  tuneThreshold,
  type EvalRow,
  type Scored,
} from '../src/eval/dataset';
import { languageDetectorOf } from '../src/content/build';
import { loadKnowledgeBase } from '../src/knowledge/loader';
import { Matcher, mergeMatcherOptions } from '../src/matching/matcher';
import { Analyzer } from '../src/nlp/analyzer';
import { LanguageDetector } from '../src/nlp/language';
import { buildMinisearch } from './peers/minisearch';
import { buildNlpjs } from './peers/nlpjs';

interface Row {
  system: string;
  dataset: string;
  split: string;
  shots: number | null;
  n: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
  threshold: number | null;
  msPerQueryP50: number;
  msPerQueryP99: number;
  buildMs: number;
  languageAccuracy?: number;
}

type Predict = (
  text: string,
) => { predicted: string | null; confidence: number } | Promise<{ predicted: string | null; confidence: number }>;

async function score(rows: EvalRow[], predict: Predict): Promise<{ scored: Scored[]; times: number[] }> {
  // Warm-up pass (untimed) so that per-query times measure steady state, not JIT compilation.
  for (const r of rows.slice(0, 200)) await predict(r.text);
  const scored: Scored[] = [];
  const times: number[] = [];
  for (const r of rows) {
    const t0 = performance.now();
    const p = await predict(r.text);
    times.push(performance.now() - t0);
    scored.push({ expected: r.expected, ...p });
  }
  times.sort((a, b) => a - b);
  return { scored, times };
}

function detectorFromProductKb(): LanguageDetector {
  try {
    return languageDetectorOf(loadKnowledgeBase(resolve(__dirname, '..', 'knowledge-base')).kb);
  } catch {
    return new LanguageDetector();
  }
}

const USAGE =
  'usage: npm run eval -- <dataset-dir> [--split test|dev] [--shots N] [--peers] [--json] [--lang fr|ro|en]';

/** The command line, checked: exit 2 with a message naming the bad option. */
function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      split: { type: 'string' },
      shots: { type: 'string' },
      peers: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      lang: { type: 'string' },
      'min-oos-recall': { type: 'string', default: '0.5' },
      options: { type: 'string' },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new AppError('USAGE', USAGE);
  if (values.split && values.split !== 'test' && values.split !== 'dev')
    throw new AppError('USAGE', `--split must be test or dev, not "${values.split}"`);
  const shots = values.shots === undefined ? undefined : Number(values.shots);
  if (shots !== undefined && (!Number.isInteger(shots) || shots < 1))
    throw new AppError('USAGE', `--shots must be a positive integer, not "${values.shots}"`);
  if (values.lang && !isLang(values.lang))
    throw new AppError('USAGE', `--lang must be one of ${LANGS.join(', ')}, not "${values.lang}"`);
  return {
    dir,
    split: values.split as 'test' | 'dev' | undefined,
    shots,
    peers: values.peers,
    json: values.json,
    lang: values.lang as Lang | undefined,
    minOos: Number(values['min-oos-recall']),
    matcherOptions: values.options,
  };
}

type Dataset = ReturnType<typeof loadDataset>;
type Base = Pick<Row, 'dataset' | 'split' | 'shots'>;

/** The dataset's language: what most of its sample questions look like. */
function datasetLanguage(ds: Dataset, detector: LanguageDetector): Lang {
  const votes: Record<Lang, number> = { fr: 0, ro: 0, en: 0 };
  for (const i of ds.intents) for (const q of i.questions.slice(0, 20)) votes[detector.detect(q).lang]++;
  return LANGS.reduce((a, b) => (votes[b] > votes[a] ? b : a));
}

/** Our matcher, its threshold tuned on the dev split when there is one. */
async function evalOurs(ds: Dataset, lang: Lang, o: ReturnType<typeof options>, base: Base): Promise<Row> {
  const t0 = performance.now();
  // --options '{"searchWeight":0.3}' overrides matcher options: a tuning aid (use dev splits only).
  let custom;
  try {
    custom = o.matcherOptions ? JSON.parse(o.matcherOptions) : undefined;
  } catch (e) {
    throw new AppError('USAGE', `--options must be a JSON object (${(e as Error).message})`);
  }
  const opts = mergeMatcherOptions(custom);
  const matcher = new Matcher({ entries: datasetEntries(ds, lang) }, new Analyzer(), opts);
  const buildMs = performance.now() - t0;
  const ours: Predict = (text) => {
    const m = matcher.match(text, lang);
    return { predicted: m.candidates[0]?.id ?? null, confidence: m.confidence };
  };
  const threshold = ds.dev ? tuneThreshold((await score(ds.dev, ours)).scored, o.minOos) : 0;
  const mine = await score(ds.rows, ours);
  return {
    system: 'sav-bot',
    ...base,
    ...metrics(mine.scored, threshold),
    threshold,
    msPerQueryP50: percentile(mine.times, 0.5),
    msPerQueryP99: percentile(mine.times, 0.99),
    buildMs,
  };
}

/** A peer built with `build`, scored on the same rows (no threshold). */
async function evalPeer(system: string, ds: Dataset, base: Base, build: () => Promise<Predict> | Predict) {
  const t0 = performance.now();
  const predict = await build();
  const buildMs = performance.now() - t0;
  const r = await score(ds.rows, predict);
  return {
    row: {
      system,
      ...base,
      ...metrics(r.scored, 0),
      threshold: null,
      msPerQueryP50: percentile(r.times, 0.5),
      msPerQueryP99: percentile(r.times, 0.99),
      buildMs,
    },
    buildMs,
  };
}

async function evalPeers(ds: Dataset, lang: Lang, base: Base, log: (m: string) => void): Promise<Row[]> {
  log('minisearch (defaults: fuzzy 0.2, prefix)…');
  const minisearch = await evalPeer('minisearch-defaults', ds, base, () => buildMinisearch(ds.intents));
  log('nlp.js (node-nlp NlpManager) training…');
  // Logged between training and scoring, as nlp.js takes a while to train.
  const nlp = await evalPeer('nlp.js', ds, base, async () => {
    const t0 = performance.now();
    const predict = await buildNlpjs(lang, ds.intents);
    log(`nlp.js trained in ${((performance.now() - t0) / 1000).toFixed(1)} s, scoring ${ds.rows.length} rows…`);
    return predict;
  });
  return [minisearch.row, nlp.row];
}

function printTable(out: Row[], title: string): void {
  const pct = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(1) + ' %');
  const ref = out[0]!;
  console.log(`\n${title}, language detection ${pct(ref.languageAccuracy ?? null)}`);
  console.log(
    'system               in-scope   out-of-scope  threshold  p50 ms/query  p99 ms/query  build ms   p50 vs sav-bot',
  );
  for (const r of out)
    console.log(
      `${r.system.padEnd(20)} ${pct(r.inScopeAccuracy).padStart(8)}   ${pct(r.oosRecall).padStart(12)}  ${(r.threshold ?? '—').toString().padStart(9)}  ${r.msPerQueryP50.toFixed(4).padStart(12)}  ${r.msPerQueryP99.toFixed(4).padStart(12)}  ${r.buildMs.toFixed(0).padStart(8)}   ${(r.msPerQueryP50 / ref.msPerQueryP50).toFixed(1)}x`,
    );
}

async function main(): Promise<void> {
  const o = options();
  const log = (m: string) => process.stderr.write(m + '\n');
  const ds = loadDataset(resolve(o.dir), { split: o.split, shots: o.shots });
  const name = ds.dir.split(/[\\/]/).pop() ?? ds.dir;
  const detector = detectorFromProductKb();
  const lang = o.lang ?? datasetLanguage(ds, detector);
  const languageAccuracy =
    ds.rows.filter((r) => detector.detect(r.text).lang === lang).length / Math.max(1, ds.rows.length);
  const base = { dataset: name, split: ds.split, shots: o.shots ?? null };
  log(
    `${name}: ${ds.intents.length} intents, ${ds.intents.reduce((a, i) => a + i.questions.length, 0)} questions, ${ds.rows.length} ${ds.split} rows, language ${lang}`,
  );
  const out: Row[] = [{ ...(await evalOurs(ds, lang, o, base)), languageAccuracy }];
  if (o.peers) out.push(...(await evalPeers(ds, lang, base, log)));
  if (o.json) {
    for (const r of out) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  printTable(out, `${name} (${ds.split}${o.shots ? `, ${o.shots}-shot` : ''}), language ${lang}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`eval: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof AppError && e.code === 'USAGE' ? 2 : 1);
});
