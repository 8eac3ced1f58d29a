/** Open-addressing hash map from non-negative 30-bit integers to non-negative integers (-1 = absent). */
export class IntMap {
  private keys: Int32Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.keys = new Int32Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** An IntMap after a structured clone (the data without the class). */
  static revive(o: IntMap): IntMap {
    return Object.setPrototypeOf(o, IntMap.prototype) as IntMap;
  }

  get(key: number): number {
    let i = Math.imul(key, 0x9e3779b1) & this.mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === key) return this.vals[i]!;
      if (k === -1) return -1;
      i = (i + 1) & this.mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    let i = Math.imul(key, 0x9e3779b1) & this.mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === key) {
        this.vals[i] = value;
        return;
      }
      if (k === -1) {
        this.keys[i] = key;
        this.vals[i] = value;
        this.size++;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  forEach(fn: (value: number, key: number) => void): void {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== -1) fn(this.vals[i]!, this.keys[i]!);
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    this.keys = new Int32Array(oldK.length * 2).fill(-1);
    this.vals = new Int32Array(oldK.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < oldK.length; i++) if (oldK[i] !== -1) this.set(oldK[i]!, oldV[i]!);
  }
}
