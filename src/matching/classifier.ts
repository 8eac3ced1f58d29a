import type { SparseVector } from './features';

export interface ClassifierOptions {
  epochs: number;
  learningRate: number;
  /** Classes whose probability is below this get no gradient step: keeps training sparse and fast. */
  updateFloor: number;
  /** Seed for the shuffling order, so that a build is reproducible. */
  seed: number;
}

export const DEFAULT_CLASSIFIER_OPTIONS: ClassifierOptions = { epochs: 2, learningRate: 4, updateFloor: 0.05, seed: 7 };

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Multinomial logistic regression over sparse TF-IDF features, trained by SGD on the knowledge base's own
 * sample questions. Weights are stored feature-major (one row of `classes` floats per feature) so that
 * scoring a short query touches only the rows of its features.
 */
export class SoftmaxClassifier {
  private readonly w: Float32Array;
  /** Per feature, the classes whose weight is non-zero: scoring skips the rest (most of them). */
  private readonly rows: number[][];
  private readonly active: Uint8Array;
  /** Compact row storage (CSR) built after training for fast, cache-friendly scoring. */
  private csrStart: Int32Array | null = null;
  private csrClass: Uint16Array | null = null;
  private csrWeight: Float32Array | null = null;

  constructor(
    readonly features: number,
    readonly classes: number,
    private readonly opts: ClassifierOptions = DEFAULT_CLASSIFIER_OPTIONS,
  ) {
    this.w = new Float32Array(features * classes);
    this.active = new Uint8Array(features * classes);
    this.rows = Array.from({ length: features }, () => []);
  }

  train(xs: SparseVector[], ys: number[]): void {
    const C = this.classes;
    const order = xs.map((_, i) => i);
    const rand = mulberry32(this.opts.seed);
    const p = new Float64Array(C);
    const floor = this.opts.updateFloor;
    this.csrStart = null;
    for (let epoch = 0; epoch < this.opts.epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const lr = this.opts.learningRate / (1 + epoch);
      for (const i of order) {
        const x = xs[i]!;
        const y = ys[i]!;
        this.softmax(x, p);
        for (let c = 0; c < C; c++) {
          const g = p[c]! - (c === y ? 1 : 0);
          if (g > -floor && g < floor) continue;
          const step = lr * g;
          for (let k = 0; k < x.idx.length; k++) {
            const at = x.idx[k]! * C + c;
            if (this.active[at] === 0) {
              this.active[at] = 1;
              this.rows[x.idx[k]!]!.push(c);
            }
            this.w[at]! -= step * x.val[k]!;
          }
        }
      }
    }
    this.compact();
  }

  /** Freeze the weights into CSR rows, dropping negligible weights. */
  private compact(): void {
    const C = this.classes;
    const start = new Int32Array(this.features + 1);
    const cls: number[] = [];
    const wts: number[] = [];
    for (let f = 0; f < this.features; f++) {
      start[f] = cls.length;
      for (const c of this.rows[f]!) {
        const v = this.w[f * C + c]!;
        if (v > 1e-4 || v < -1e-4) {
          cls.push(c);
          wts.push(v);
        }
      }
    }
    start[this.features] = cls.length;
    this.csrStart = start;
    this.csrClass = Uint16Array.from(cls);
    this.csrWeight = Float32Array.from(wts);
  }

  /** Raw class scores (logits) into `out`. */
  logits(x: SparseVector, out: Float64Array): void {
    out.fill(0);
    const start = this.csrStart;
    if (start) {
      const cls = this.csrClass!;
      const wts = this.csrWeight!;
      for (let k = 0; k < x.idx.length; k++) {
        const f = x.idx[k]!;
        const v = x.val[k]!;
        for (let j = start[f]!, end = start[f + 1]!; j < end; j++) out[cls[j]!]! += v * wts[j]!;
      }
      return;
    }
    const C = this.classes;
    const w = this.w;
    for (let k = 0; k < x.idx.length; k++) {
      const f = x.idx[k]!;
      const row = this.rows[f]!;
      const v = x.val[k]!;
      const base = f * C;
      for (let j = 0; j < row.length; j++) {
        const c = row[j]!;
        out[c]! += v * w[base + c]!;
      }
    }
  }

  /** Class probabilities into `out`. */
  softmax(x: SparseVector, out: Float64Array): void {
    this.logits(x, out);
    let max = -Infinity;
    for (let c = 0; c < out.length; c++) if (out[c]! > max) max = out[c]!;
    let sum = 0;
    for (let c = 0; c < out.length; c++) {
      const e = Math.exp(out[c]! - max);
      out[c] = e;
      sum += e;
    }
    for (let c = 0; c < out.length; c++) out[c]! /= sum;
  }
}
