import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../domain/errors';
import type { KbEntry } from '../domain/types';
import type { Lang } from '../domain/types';

export interface EvalRow {
  text: string;
  expected: string | null;
}

export interface Dataset {
  dir: string;
  intents: { intent: string; questions: string[] }[];
  split: string;
  rows: EvalRow[];
  /** Dev rows, when the folder has a dev split: thresholds are tuned on them only. */
  dev?: EvalRow[];
}

function readJsonl(file: string): EvalRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l)
    .map(([l, line]) => {
      let r: { text?: unknown; expected?: unknown };
      try {
        r = JSON.parse(l);
      } catch (e) {
        throw new AppError('BAD_DATASET', `${file}:${line}: not JSON (${(e as Error).message})`);
      }
      if (typeof r.text !== 'string' || (r.expected !== null && typeof r.expected !== 'string'))
        throw new AppError('BAD_DATASET', `${file}:${line}: expected {"text": string, "expected": string|null}`);
      return { text: r.text, expected: r.expected as string | null };
    });
}

/** Load a dataset folder in the ../shared/eval format (kb.json + test.jsonl and/or dev.jsonl). */
export function loadDataset(dir: string, opts: { split?: 'test' | 'dev'; shots?: number } = {}): Dataset {
  const kbFile = join(dir, 'kb.json');
  if (!existsSync(kbFile))
    throw new AppError('BAD_DATASET', `${kbFile}: not found (expected a dataset folder with kb.json)`);
  let intents: { intent: string; questions: string[] }[];
  try {
    intents = JSON.parse(readFileSync(kbFile, 'utf8'));
  } catch (e) {
    throw new AppError('BAD_DATASET', `${kbFile}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(intents) || intents.some((i) => typeof i?.intent !== 'string' || !Array.isArray(i.questions)))
    throw new AppError('BAD_DATASET', `${kbFile}: expected [{"intent": string, "questions": [string]}]`);
  if (opts.shots !== undefined)
    intents = intents.map((i) => ({ intent: i.intent, questions: i.questions.slice(0, opts.shots) }));
  const split = opts.split ?? (existsSync(join(dir, 'test.jsonl')) ? 'test' : 'dev');
  const file = join(dir, `${split}.jsonl`);
  if (!existsSync(file)) throw new AppError('BAD_DATASET', `${file}: not found (use --split test or --split dev)`);
  const devFile = join(dir, 'dev.jsonl');
  return { dir, intents, split, rows: readJsonl(file), dev: existsSync(devFile) ? readJsonl(devFile) : undefined };
}

/** The dataset's intents as knowledge-base entries of one language (answer text = intent name). */
export function datasetEntries(ds: Dataset, lang: Lang): KbEntry[] {
  return ds.intents.map((i) => ({
    id: i.intent,
    kind: 'faq',
    topic: 'eval',
    title: { [lang]: i.intent },
    questions: { [lang]: i.questions },
    answer: { [lang]: i.intent.replace(/[_-]+/g, ' ') },
    tags: [],
    products: [],
    followUps: [],
    source: { file: join(ds.dir, 'kb.json'), line: 1 },
  }));
}

export interface Scored {
  expected: string | null;
  predicted: string | null;
  confidence: number;
}

export interface Metrics {
  inScopeAccuracy: number;
  oosRecall: number | null;
  n: number;
}

/** In-scope accuracy (right entry AND answered) and out-of-scope recall (not answered) at a threshold. */
export function metrics(scored: Scored[], threshold: number): Metrics {
  let inN = 0;
  let inOk = 0;
  let oosN = 0;
  let oosOk = 0;
  for (const s of scored) {
    const answered = s.predicted !== null && s.confidence >= threshold;
    if (s.expected === null) {
      oosN++;
      if (!answered) oosOk++;
    } else {
      inN++;
      if (answered && s.predicted === s.expected) inOk++;
    }
  }
  return { inScopeAccuracy: inN ? inOk / inN : 0, oosRecall: oosN ? oosOk / oosN : null, n: scored.length };
}

/**
 * Threshold tuned on dev rows only: the highest in-scope accuracy that still refuses at least
 * `minOosRecall` of the out-of-scope questions (if no threshold reaches it: the best sum of both).
 * 0 (always answer the best entry) when dev has no out-of-scope rows.
 */
export function tuneThreshold(devScored: Scored[], minOosRecall = 0.5): number {
  if (!devScored.some((s) => s.expected === null)) return 0;
  let best = -1;
  let bestAcc = -1;
  let sumBest = 0;
  let sumValue = -1;
  for (let i = 0; i <= 95; i++) {
    const t = i / 100;
    const m = metrics(devScored, t);
    const oos = m.oosRecall ?? 0;
    if (oos >= minOosRecall && m.inScopeAccuracy > bestAcc) {
      bestAcc = m.inScopeAccuracy;
      best = t;
    }
    if (m.inScopeAccuracy + oos > sumValue) {
      sumValue = m.inScopeAccuracy + oos;
      sumBest = t;
    }
  }
  return best >= 0 ? best : sumBest;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
