import type { Analysis } from '../nlp/analyzer';
import { IntMap } from './intmap';

/** A sparse feature vector: parallel arrays of feature ids and weights, L2-normalized. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

export interface FeatureOptions {
  /** Character n-gram sizes taken inside each word (padded with spaces): typo tolerance. */
  charNgrams: [number, number];
  /** Relative weight of the word block (stems and stem bigrams) against the character block. */
  wordWeight: number;
  charWeight: number;
  /** Features found in more than this share of the sample questions are dropped (they tell classes
   * apart poorly and cost the most to score). */
  maxDf: number;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = { charNgrams: [4, 4], wordWeight: 1, charWeight: 1, maxDf: 1 };

// Features are 32-bit FNV-1a hashes rather than strings: no allocation per n-gram, integer Map keys.
// With a few hundred thousand distinct features, collisions are rare and harmless (two features merge).
const FNV_OFFSET = 0x811c9dc5;
// Keep keys in V8's small-integer range: integer Map keys are then fast.
const SMI = 0x3fffffff;
function fnv(h: number, code: number): number {
  return Math.imul(h ^ code, 0x01000193);
}
function hashString(seed: number, s: string): number {
  let h = fnv(FNV_OFFSET, seed);
  for (let i = 0; i < s.length; i++) h = fnv(h, s.charCodeAt(i));
  return h;
}

/** Raw features of one text as hashes: word block (stems and stem bigrams) and character block. */
function rawFeatures(a: Analysis, opts: FeatureOptions, words: number[], chars: number[]): void {
  words.length = 0;
  chars.length = 0;
  for (const t of a.terms) words.push(hashString(1, t) & SMI);
  for (let i = 0; i + 1 < a.stems.length; i++)
    words.push((fnv(hashString(2, a.stems[i]!), 32) ^ hashString(3, a.stems[i + 1]!)) & SMI);
  const [lo, hi] = opts.charNgrams;
  for (const w of a.words) {
    // padded word " w " without building the string: position -1 and w.length are spaces
    const len = w.length + 2;
    for (let i = 0; i + lo <= len; i++) {
      let h = fnv(FNV_OFFSET, 4);
      for (let n = 1; n <= hi && i + n <= len; n++) {
        const p = i + n - 1;
        h = fnv(h, p === 0 || p === len - 1 ? 32 : w.charCodeAt(p - 1));
        if (n >= lo) chars.push((h + n) & SMI);
      }
    }
  }
}

/**
 * Vocabulary and IDF learned from the knowledge base's sample questions; turns analyses into
 * TF-IDF vectors (sublinear tf, each block L2-normalized then weighted). Unknown features are dropped.
 */
export class FeatureSpace {
  private vocab = new IntMap();
  /** Per feature id: the stamp of the last vector that counted it, and its count there (no sorting). */
  private stamp = new Int32Array(0);
  private count = new Int32Array(0);
  private clock = 0;
  private readonly wordBuf: number[] = [];
  private readonly charBuf: number[] = [];
  private idf = new Float32Array(0);

  constructor(private readonly opts: FeatureOptions = DEFAULT_FEATURE_OPTIONS) {}

  /** A FeatureSpace after a structured clone (the data without the classes). */
  static revive(o: FeatureSpace): FeatureSpace {
    const f = Object.setPrototypeOf(o, FeatureSpace.prototype) as FeatureSpace;
    IntMap.revive(f.vocab);
    return f;
  }

  get size(): number {
    return this.vocab.size;
  }

  fit(docs: Analysis[]): void {
    const all = new IntMap(docs.length * 8);
    const df: number[] = [];
    const words = this.wordBuf;
    const chars = this.charBuf;
    let lastSeen: number[] = [];
    docs.forEach((d, docNo) => {
      rawFeatures(d, this.opts, words, chars);
      for (const list of [words, chars]) {
        for (const k of list) {
          let id = all.get(k);
          if (id < 0) {
            id = df.length;
            all.set(k, id);
            df.push(0);
            lastSeen.push(-1);
          }
          if (lastSeen[id] !== docNo) {
            lastSeen[id] = docNo;
            df[id]!++;
          }
        }
      }
    });
    lastSeen = [];
    const n = docs.length;
    // Renumber the features we keep so that ids stay dense.
    const keep = new IntMap(df.length);
    const idf: number[] = [];
    const limit = Math.max(2, this.opts.maxDf * n);
    all.forEach((id, k) => {
      if (df[id]! > limit) return;
      keep.set(k, idf.length);
      idf.push(Math.log((1 + n) / (1 + df[id]!)) + 1);
    });
    this.vocab = keep;
    this.idf = Float32Array.from(idf);
    this.stamp = new Int32Array(idf.length);
    this.count = new Int32Array(idf.length);
    this.clock = 0;
  }

  vector(a: Analysis): SparseVector {
    const words = this.wordBuf;
    const chars = this.charBuf;
    rawFeatures(a, this.opts, words, chars);
    const ids: number[] = [];
    const vals: number[] = [];
    this.block(words, this.opts.wordWeight, ids, vals);
    this.block(chars, this.opts.charWeight, ids, vals);
    // Final L2 normalization so every text has the same scale whatever its length.
    let norm = 0;
    for (const v of vals) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    const idx = Int32Array.from(ids);
    const val = new Float32Array(vals.length);
    for (let i = 0; i < vals.length; i++) val[i] = vals[i]! / norm;
    return { idx, val };
  }

  private block(keys: number[], weight: number, ids: number[], vals: number[]): void {
    const stamp = this.stamp;
    const count = this.count;
    const clock = ++this.clock;
    const start = vals.length;
    for (const k of keys) {
      const id = this.vocab.get(k);
      if (id < 0) continue;
      if (stamp[id] !== clock) {
        stamp[id] = clock;
        count[id] = 1;
        ids.push(id);
        vals.push(0);
      } else count[id]!++;
    }
    if (vals.length === start) return;
    let norm = 0;
    for (let i = start; i < vals.length; i++) {
      const id = ids[i]!;
      const v = (1 + Math.log(count[id]!)) * this.idf[id]!;
      vals[i] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let i = start; i < vals.length; i++) vals[i] = (vals[i]! / norm) * weight;
  }
}
