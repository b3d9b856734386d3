function checkCount(source: string, count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new Error(`${source}: count must be a non-negative integer, got ${count}`);
}

/** Check `pixels` holds `count` images [3, size, size]; the error names the call and the sizes. */
export function checkImages(source: string, pixels: Float32Array, count: number, size: number): void {
  checkCount(source, count);
  if (!(pixels instanceof Float32Array)) throw new Error(`${source}: pixels must be a Float32Array`);
  const expected = count * 3 * size * size;
  if (pixels.length !== expected) {
    throw new Error(`${source}: ${pixels.length} values for ${count} images; expected ${count} × 3 × ${size} × ${size} = ${expected}`);
  }
}

/** Check `ids` holds `count` rows of `contextLength` ids; the error names the call and the sizes. */
export function checkTokenIds(source: string, ids: Int32Array | BigInt64Array, count: number, contextLength: number): void {
  checkCount(source, count);
  if (!(ids instanceof Int32Array) && !(ids instanceof BigInt64Array)) throw new Error(`${source}: ids must be an Int32Array or BigInt64Array`);
  const expected = count * contextLength;
  if (ids.length !== expected) {
    throw new Error(`${source}: ${ids.length} ids for ${count} captions; expected ${count} × ${contextLength} (context length, zero padded) = ${expected}`);
  }
}

export function checkBatchSize(source: string, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${source}: batchSize must be a positive integer, got ${batchSize}`);
  return batchSize;
}

/**
 * Run `encodeBatch(start, size)` over `count` items in batches of at most `batchSize` and gather
 * the [size, embedDim] results into one [count, embedDim] array.
 */
export async function encodeInBatches(
  count: number,
  batchSize: number,
  embedDim: number,
  encodeBatch: (start: number, size: number) => Promise<Float32Array>,
): Promise<Float32Array> {
  const out = new Float32Array(count * embedDim);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const embeddings = await encodeBatch(start, size);
    if (embeddings.length !== size * embedDim) {
      throw new Error(`encoder returned ${embeddings.length} values for ${size} items of width ${embedDim}`);
    }
    out.set(embeddings, start * embedDim);
  }
  return out;
}
