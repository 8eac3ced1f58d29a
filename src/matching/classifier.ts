import type { SparseVector } from './features';

export interface ClassifierOptions {
  /** Passes over the sample questions... */
  epochs: number;
  /** ...or more, until at least this many SGD steps were taken: small knowledge bases need more passes. */
  minSteps: number;
  maxEpochs: number;
  learningRate: number;
  /** Classes whose probability is below this get no gradient step: keeps training sparse and fast. */
  updateFloor: number;
  /** Learning rate of pass e is learningRate / (1 + decay * e). */
  decay: number;
  /** Weights smaller than this (in absolute value) are dropped after training: faster scoring. */
  prune: number;
  /** Seed for the shuffling order, so that a build is reproducible. */
  seed: number;
}

export const DEFAULT_CLASSIFIER_OPTIONS: ClassifierOptions = {
  epochs: 2,
  minSteps: 20_000,
  maxEpochs: 40,
  learningRate: 4,
  decay: 1,
  updateFloor: 0.05,
  prune: 3e-3,
  seed: 7,
};

/** mulberry32: a small seeded PRNG, uniform in [0, 1) (training order; the crash test's kill schedule too). */
export function mulberry32(seed: number): () => number {
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
  /** Per feature: offset of its dense row in `denseWeight`, or -1 when the row is sparse (CSR). */
  private denseRow: Int32Array | null = null;
  private denseWeight: Float32Array | null = null;

  constructor(
    readonly features: number,
    readonly classes: number,
    private readonly opts: ClassifierOptions = DEFAULT_CLASSIFIER_OPTIONS,
  ) {
    this.w = new Float32Array(features * classes);
    this.active = new Uint8Array(features * classes);
    this.rows = Array.from({ length: features }, () => []);
  }

  /**
   * What scoring needs once trained (the compact rows), for another thread: the training arrays (dense weights,
   * one list per feature) are most of the cost of a structured clone and are never read again.
   */
  portable(): SoftmaxClassifier {
    if (!this.csrStart) return this;
    return { ...this, w: new Float32Array(0), rows: [], active: new Uint8Array(0) } as unknown as SoftmaxClassifier;
  }

  /** A classifier after a structured clone (its weights without the class): no training. */
  static revive(o: SoftmaxClassifier): SoftmaxClassifier {
    return Object.setPrototypeOf(o, SoftmaxClassifier.prototype) as SoftmaxClassifier;
  }

  train(xs: SparseVector[], ys: number[]): void {
    const C = this.classes;
    const order = xs.map((_, i) => i);
    const rand = mulberry32(this.opts.seed);
    const p = new Float64Array(C);
    const floor = this.opts.updateFloor;
    this.csrStart = null;
    const epochs = Math.max(
      this.opts.epochs,
      Math.min(this.opts.maxEpochs, Math.ceil(this.opts.minSteps / Math.max(1, xs.length))),
    );
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const lr = this.opts.learningRate / (1 + this.opts.decay * epoch);
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
    const denseRow = new Int32Array(this.features).fill(-1);
    const dense: number[] = [];
    for (let f = 0; f < this.features; f++) {
      start[f] = cls.length;
      if (this.rows[f]!.length > C >> 2) {
        denseRow[f] = dense.length;
        for (let c = 0; c < C; c++) dense.push(this.w[f * C + c]!);
        continue;
      }
      for (const c of this.rows[f]!) {
        const v = this.w[f * C + c]!;
        if (v > this.opts.prune || v < -this.opts.prune) {
          cls.push(c);
          wts.push(v);
        }
      }
    }
    start[this.features] = cls.length;
    this.csrStart = start;
    this.csrClass = Uint16Array.from(cls);
    this.csrWeight = Float32Array.from(wts);
    this.denseRow = denseRow;
    this.denseWeight = Float32Array.from(dense);
  }

  /** Raw class scores (logits) into `out`. */
  logits(x: SparseVector, out: Float64Array): void {
    out.fill(0);
    const start = this.csrStart;
    if (start) {
      const cls = this.csrClass!;
      const wts = this.csrWeight!;
      const denseRow = this.denseRow!;
      const dense = this.denseWeight!;
      const C = this.classes;
      for (let k = 0; k < x.idx.length; k++) {
        const f = x.idx[k]!;
        const v = x.val[k]!;
        const d = denseRow[f]!;
        if (d >= 0) {
          for (let c = 0; c < C; c++) out[c]! += v * dense[d + c]!;
          continue;
        }
        for (let j = start[f]!, end = start[f + 1]!; j < end; j++) out[cls[j]!]! += v * wts[j]!;
      }
      return;
    }
    const C = this.classes;
    const w = this.w;
    const denseFrom = C >> 2;
    for (let k = 0; k < x.idx.length; k++) {
      const f = x.idx[k]!;
      const row = this.rows[f]!;
      const v = x.val[k]!;
      const base = f * C;
      if (row.length > denseFrom) {
        // A feature most classes use: a straight loop beats indirection through the class list.
        for (let c = 0; c < C; c++) out[c]! += v * w[base + c]!;
      } else {
        for (let j = 0; j < row.length; j++) {
          const c = row[j]!;
          out[c]! += v * w[base + c]!;
        }
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
