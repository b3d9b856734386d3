/**
 * numpy 1.24's `np.argsort(values)` (default kind 'quicksort', an introsort) for floating-point
 * values, reproduced step by step from numpy/core/src/npysort/quicksort.cpp (`aquicksort_`) and
 * heapsort.cpp (`aheapsort_`): median-of-3 quicksort, insertion sort for partitions of at most 16
 * elements, heapsort beyond a depth of 2·floor(log2 n). Its order among equal values is what the
 * reference evaluation's ranks depend on; NaN sorts last, as in numpy.
 */

/** Partitions this small or smaller are finished by insertion sort (numpy's SMALL_QUICKSORT). */
const SMALL_QUICKSORT = 15;

/** numpy's `Tag::less` for floats: NaN is larger than everything. */
function less(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

/** Index of the highest set bit (numpy's `npy_get_msb`). */
function highestBit(n: number): number {
  let depth = 0;
  for (let rest = n >>> 1; rest > 0; rest >>>= 1) depth += 1;
  return depth;
}

/** `aheapsort_` on `order[start .. start + n)`, 1-based inside as in numpy. */
function heapsortRange(values: ArrayLike<number>, order: Int32Array, start: number, count: number): void {
  const base = start - 1;
  const at = (k: number): number => order[base + k] as number;
  const value = (k: number): number => values[at(k)] as number;
  // numpy's sift-down: move `tmp` down from heap position `top` within a heap of `n` entries.
  const siftDown = (tmp: number, top: number, n: number): void => {
    let i = top;
    for (let j = top << 1; j <= n; ) {
      if (j < n && less(value(j), value(j + 1))) j += 1;
      if (less(values[tmp] as number, value(j))) {
        order[base + i] = at(j);
        i = j;
        j += j;
      } else break;
    }
    order[base + i] = tmp;
  };
  let n = count;
  for (let l = n >> 1; l > 0; --l) siftDown(at(l), l, n);
  while (n > 1) {
    const tmp = at(n);
    order[base + n] = at(1);
    n -= 1;
    siftDown(tmp, 1, n);
  }
}

/** The indices that sort `values` ascending, in exactly numpy 1.24's `argsort` order. */
export function numpyArgsort(values: ArrayLike<number>): Int32Array {
  return introsortArgsort(values, highestBit(values.length) * 2);
}

/** numpy's introsort with an explicit depth budget (below zero: heapsort), exposed for tests. */
export function introsortArgsort(values: ArrayLike<number>, depthLimit: number): Int32Array {
  const num = values.length;
  const order = new Int32Array(num);
  for (let k = 0; k < num; k++) order[k] = k;
  if (num < 2) return order;
  const v = (position: number): number => values[order[position] as number] as number;
  const swap = (a: number, b: number): void => {
    const tmp = order[a] as number;
    order[a] = order[b] as number;
    order[b] = tmp;
  };
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let depth = depthLimit;
  for (;;) {
    if (depth < 0) {
      heapsortRange(values, order, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (less(v(pm), v(pl))) swap(pm, pl);
        if (less(v(pr), v(pm))) swap(pr, pm);
        if (less(v(pm), v(pl))) swap(pm, pl);
        const pivot = v(pm);
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (less(v(pi), pivot));
          do --pj;
          while (less(pivot, v(pj)));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        // Push the larger partition, continue with the smaller.
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depth -= 1;
        depths.push(depth);
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const moving = order[pi] as number;
        const key = values[moving] as number;
        let pj = pi;
        while (pj > pl && less(key, v(pj - 1))) {
          order[pj] = order[pj - 1] as number;
          pj -= 1;
        }
        order[pj] = moving;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop() as number;
    pl = stack.pop() as number;
    depth = depths.pop() as number;
  }
  return order;
}
