// Envoy's earliest-deadline-first scheduler (EdfScheduler): each entry's next deadline is
// `now + 1/weight`, the earliest deadline is picked, ties go to the entry queued first. This
// interleaves weighted picks smoothly (1:3 gives B B A B ..., not A B B B) in O(log n).
//
// Entries are indices into the caller's host list, kept in a binary min-heap over typed
// arrays, so a pick allocates nothing. The caller reads `top()`, then `advance(weight)` with
// the weight that entry should have now (LEAST_REQUEST recomputes it from active requests).
import type { RandomSource } from './base.js';

/** Envoy limits the emulated start-up picks to UINT32_MAX / 10. */
const MAX_INITIAL_PICKS = 429496729;

export class EdfScheduler {
  private readonly deadline: Float64Array;
  /** Insertion sequence: the FIFO tie-breaker for equal deadlines. */
  private readonly order: Float64Array;
  /** Heap of entry indices, earliest (deadline, order) first. */
  private readonly heap: Int32Array;
  private now = 0;
  private nextOrder: number;

  /**
   * Builds the schedule as if `picks` picks had already been made (Envoy's createWithPicks),
   * so balancers built at the same moment do not all start on the same host.
   */
  constructor(weights: ArrayLike<number>, picks: number) {
    const n = weights.length;
    this.deadline = new Float64Array(n);
    this.order = new Float64Array(n);
    this.heap = new Int32Array(n);
    this.nextOrder = n;
    picks %= MAX_INITIAL_PICKS;
    // The epsilon keeps weights that are multiples of each other from landing on exactly equal
    // deadlines that a pick-by-pick start would have ordered differently (as Envoy does).
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i]! + 1e-13;
    let emulated = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]! + 1e-13;
      let floorPicks = Math.floor((w * picks) / sum);
      if (floorPicks > 0 && floorPicks / w >= picks / sum) floorPicks--;
      this.deadline[i] = (floorPicks + 1) / w;
      this.order[i] = i;
      this.heap[i] = i;
      this.now = Math.max(this.now, floorPicks / w);
      emulated += floorPicks;
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
    for (; emulated < picks; emulated++) this.advance(weights[this.top()]!);
  }

  /** A random number of start-up picks, as Envoy seeds each scheduler. */
  static randomPicks(random: RandomSource): number {
    return Math.floor(random() * 4294967296) % MAX_INITIAL_PICKS;
  }

  /** The entry picked next. */
  top(): number {
    return this.heap[0]!;
  }

  /** Picks the top entry and queues it again with deadline now + 1/weight. */
  advance(weight: number): void {
    const i = this.heap[0]!;
    this.now = this.deadline[i]!;
    this.deadline[i] = this.now + 1 / weight;
    this.order[i] = this.nextOrder++;
    this.siftDown(0);
  }

  /** Restores heap order below `pos`; the comparison is inlined because this is the pick path. */
  private siftDown(pos: number): void {
    const { heap, deadline, order } = this;
    const n = heap.length;
    const entry = heap[pos]!;
    const entryDeadline = deadline[entry]!;
    const entryOrder = order[entry]!;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      let childEntry = heap[child]!;
      let childDeadline = deadline[childEntry]!;
      if (child + 1 < n) {
        const right = heap[child + 1]!;
        const rightDeadline = deadline[right]!;
        if (rightDeadline < childDeadline || (rightDeadline === childDeadline && order[right]! < order[childEntry]!)) {
          child++;
          childEntry = right;
          childDeadline = rightDeadline;
        }
      }
      if (entryDeadline < childDeadline || (entryDeadline === childDeadline && entryOrder < order[childEntry]!)) break;
      heap[pos] = childEntry;
      pos = child;
    }
    heap[pos] = entry;
  }
}
