/**
 * A device's recent turnaround (request written to answer read, less the frames' own time on the
 * wire): the last `size` samples of a unit that answered. A short probe of the unit once it falls
 * silent waits for its high percentile, not for the full timeout: what the device showed while it
 * was healthy is the best estimate of how soon it answers when it is back.
 */
export class TurnaroundWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 32) {}

  add(ms: number): void {
    const v = Math.max(0, ms);
    if (this.samples.length < this.size) this.samples.push(v);
    else this.samples[this.next] = v;
    this.next = (this.next + 1) % this.size;
  }

  get count(): number {
    return this.samples.length;
  }

  /** The q-quantile (0..1) of the samples kept, nearest rank; undefined before any. */
  quantile(q: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
    return sorted[rank];
  }
}
