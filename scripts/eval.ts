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
    const { kb } = loadKnowledgeBase(resolve(__dirname, '..', 'knowledge-base'));
    const samples: Partial<Record<Lang, string[]>> = {};
    for (const e of kb.entries) for (const l of LANGS) (samples[l] ??= []).push(...(e.questions[l] ?? []));
    return new LanguageDetector(samples);
  } catch {
    return new LanguageDetector();
  }
}

async function main(): Promise<void> {
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
  if (!dir)
    throw new AppError(
      'USAGE',
      'usage: npm run eval -- <dataset-dir> [--split test|dev] [--shots N] [--peers] [--json] [--lang fr|ro|en]',
    );
  if (values.split && values.split !== 'test' && values.split !== 'dev')
    throw new AppError('USAGE', `--split must be test or dev, not "${values.split}"`);
  const shots = values.shots === undefined ? undefined : Number(values.shots);
  if (shots !== undefined && (!Number.isInteger(shots) || shots < 1))
    throw new AppError('USAGE', `--shots must be a positive integer, not "${values.shots}"`);
  if (values.lang && !isLang(values.lang))
    throw new AppError('USAGE', `--lang must be one of ${LANGS.join(', ')}, not "${values.lang}"`);
  const minOos = Number(values['min-oos-recall']);
  const log = (m: string) => process.stderr.write(m + '\n');

  const ds = loadDataset(resolve(dir), { split: values.split as 'test' | 'dev' | undefined, shots });
  const name = ds.dir.split(/[\\/]/).pop() ?? ds.dir;
  const detector = detectorFromProductKb();
  // The dataset's language: what most of its sample questions look like (or --lang).
  let lang = values.lang as Lang | undefined;
  if (!lang) {
    const votes: Record<Lang, number> = { fr: 0, ro: 0, en: 0 };
    for (const i of ds.intents) for (const q of i.questions.slice(0, 20)) votes[detector.detect(q).lang]++;
    lang = LANGS.reduce((a, b) => (votes[b] > votes[a] ? b : a));
  }
  const languageAccuracy =
    ds.rows.filter((r) => detector.detect(r.text).lang === lang).length / Math.max(1, ds.rows.length);
  const out: Row[] = [];
  const base = { dataset: name, split: ds.split, shots: shots ?? null };
  log(
    `${name}: ${ds.intents.length} intents, ${ds.intents.reduce((a, i) => a + i.questions.length, 0)} questions, ${ds.rows.length} ${ds.split} rows, language ${lang}`,
  );

  // Ours.
  const t0 = performance.now();
  // --options '{"searchWeight":0.3}' overrides matcher options: a tuning aid (use dev splits only).
  let custom;
  try {
    custom = values.options ? JSON.parse(values.options) : undefined;
  } catch (e) {
    throw new AppError('USAGE', `--options must be a JSON object (${(e as Error).message})`);
  }
  const opts = mergeMatcherOptions(custom);
  const matcher = new Matcher({ entries: datasetEntries(ds, lang) }, new Analyzer(), opts);
  const buildMs = performance.now() - t0;
  const ours: Predict = (text) => {
    const m = matcher.match(text, lang!);
    return { predicted: m.candidates[0]?.id ?? null, confidence: m.confidence };
  };
  const threshold = ds.dev ? tuneThreshold((await score(ds.dev, ours)).scored, minOos) : 0;
  const mine = await score(ds.rows, ours);
  out.push({
    system: 'sav-bot',
    ...base,
    ...metrics(mine.scored, threshold),
    threshold,
    msPerQueryP50: percentile(mine.times, 0.5),
    msPerQueryP99: percentile(mine.times, 0.99),
    buildMs,
    languageAccuracy,
  });

  if (values.peers) {
    log('minisearch (defaults: fuzzy 0.2, prefix)…');
    const t1 = performance.now();
    const ms = buildMinisearch(ds.intents);
    const msBuild = performance.now() - t1;
    const r1 = await score(ds.rows, ms);
    out.push({
      system: 'minisearch-defaults',
      ...base,
      ...metrics(r1.scored, 0),
      threshold: null,
      msPerQueryP50: percentile(r1.times, 0.5),
      msPerQueryP99: percentile(r1.times, 0.99),
      buildMs: msBuild,
    });
    log('nlp.js (node-nlp NlpManager) training…');
    const t2 = performance.now();
    const nlp = await buildNlpjs(lang, ds.intents);
    const nlpBuild = performance.now() - t2;
    log(`nlp.js trained in ${(nlpBuild / 1000).toFixed(1)} s, scoring ${ds.rows.length} rows…`);
    const r2 = await score(ds.rows, nlp);
    out.push({
      system: 'nlp.js',
      ...base,
      ...metrics(r2.scored, 0),
      threshold: null,
      msPerQueryP50: percentile(r2.times, 0.5),
      msPerQueryP99: percentile(r2.times, 0.99),
      buildMs: nlpBuild,
    });
  }

  if (values.json) {
    for (const r of out) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const pct = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(1) + ' %');
  const ref = out[0]!;
  console.log(
    `\n${name} (${ds.split}${shots ? `, ${shots}-shot` : ''}), language ${lang}, language detection ${pct(languageAccuracy)}`,
  );
  console.log(
    'system               in-scope   out-of-scope  threshold  p50 ms/query  p99 ms/query  build ms   p50 vs sav-bot',
  );
  for (const r of out)
    console.log(
      `${r.system.padEnd(20)} ${pct(r.inScopeAccuracy).padStart(8)}   ${pct(r.oosRecall).padStart(12)}  ${(r.threshold ?? '—').toString().padStart(9)}  ${r.msPerQueryP50.toFixed(4).padStart(12)}  ${r.msPerQueryP99.toFixed(4).padStart(12)}  ${r.buildMs.toFixed(0).padStart(8)}   ${(r.msPerQueryP50 / ref.msPerQueryP50).toFixed(1)}x`,
    );
}

main().catch((e: unknown) => {
  process.stderr.write(`eval: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof AppError && e.code === 'USAGE' ? 2 : 1);
});
