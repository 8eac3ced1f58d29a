import type { SparseVector } from './features';
import { IntMap } from './intmap';

/**
 * Per-entry inverted index of its sample questions' vectors: the cosine similarity between a message
 * and the entry's closest sample question, touching only the features they share.
 */
export class NearestSample {
  private readonly offsets: IntMap;
  private readonly start: Int32Array;
  private readonly sample: Int32Array;
  private readonly value: Float32Array;
  private readonly acc: Float64Array;

  /** A NearestSample after a structured clone (the data without the classes). */
  static revive(o: NearestSample): NearestSample {
    const n = Object.setPrototypeOf(o, NearestSample.prototype) as NearestSample;
    IntMap.revive(n.offsets);
    return n;
  }

  constructor(samples: SparseVector[]) {
    const byFeature = new Map<number, { s: number; v: number }[]>();
    samples.forEach((x, s) => {
      for (let k = 0; k < x.idx.length; k++) {
        const f = x.idx[k]!;
        let list = byFeature.get(f);
        if (!list) byFeature.set(f, (list = []));
        list.push({ s, v: x.val[k]! });
      }
    });
    this.offsets = new IntMap(byFeature.size);
    this.start = new Int32Array(byFeature.size + 1);
    let total = 0;
    for (const list of byFeature.values()) total += list.length;
    this.sample = new Int32Array(total);
    this.value = new Float32Array(total);
    let row = 0;
    let at = 0;
    for (const [f, list] of byFeature) {
      this.offsets.set(f, row);
      this.start[row++] = at;
      for (const p of list) {
        this.sample[at] = p.s;
        this.value[at++] = p.v;
      }
    }
    this.start[row] = at;
    this.acc = new Float64Array(samples.length);
  }

  similarity(x: SparseVector): number {
    const acc = this.acc;
    acc.fill(0);
    for (let k = 0; k < x.idx.length; k++) {
      const row = this.offsets.get(x.idx[k]!);
      if (row < 0) continue;
      const v = x.val[k]!;
      for (let j = this.start[row]!, end = this.start[row + 1]!; j < end; j++)
        acc[this.sample[j]!]! += v * this.value[j]!;
    }
    let best = 0;
    for (let i = 0; i < acc.length; i++) if (acc[i]! > best) best = acc[i]!;
    return Math.min(1, best);
  }
}
