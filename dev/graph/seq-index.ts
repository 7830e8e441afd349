/**
 * A sorted set of insertion sequence numbers. Pages resume with a binary search after the last seen
 * sequence, so a page costs O(log n + scanned) however large the collection, and stays stable while
 * items are added or removed between pages.
 */
export class SeqIndex {
  private readonly seqs: number[] = [];

  get size(): number {
    return this.seqs.length;
  }

  add(seq: number): void {
    const last = this.seqs[this.seqs.length - 1];
    // New items carry the highest sequence so far: the common case is an append.
    if (last === undefined || seq > last) {
      this.seqs.push(seq);
      return;
    }
    const at = this.firstIndexAfter(seq - 1);
    if (this.seqs[at] !== seq) this.seqs.splice(at, 0, seq);
  }

  delete(seq: number): void {
    const at = this.firstIndexAfter(seq - 1);
    if (this.seqs[at] === seq) this.seqs.splice(at, 1);
  }

  clear(): void {
    this.seqs.length = 0;
  }

  /** Sequences greater than `after`, in order. */
  *after(after: number): Generator<number> {
    for (let index = this.firstIndexAfter(after); index < this.seqs.length; index++) {
      yield this.seqs[index] as number;
    }
  }

  private firstIndexAfter(value: number): number {
    let low = 0;
    let high = this.seqs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.seqs[middle] as number) <= value) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
