import path from 'node:path';
import { readExportConfig, type ExportConfig } from '../export/export-config';
import { createOrtRunner, type OrtModelRunner, type OrtSessionSettings } from '../runtime/ort-runtime';
import type { Encoder } from './encoder';
import { checkBatchSize, checkImages, checkTokenIds, encodeInBatches } from './encoder-input';

/** Weights an ORT encoder runs: the exported float32 graphs or their int8 dynamic-quantised variants. */
export type OrtPrecision = 'fp32' | 'int8';

export interface OrtEncoderOptions extends OrtSessionSettings {
  /** Default: 'fp32'. */
  precision?: OrtPrecision;
  /** Items per session run. Default: 32. */
  batchSize?: number;
}

/** An encoder on ONNX Runtime, with the export's config. */
export interface OrtEncoder extends Encoder {
  readonly engine: 'ort';
  readonly config: ExportConfig;
  readonly precision: OrtPrecision;
  /** Stop ONNX Runtime's profiling (when `profilePrefix` was set); returns the files written. */
  endProfiling(): string[];
}

/**
 * An encoder on the ONNX graphs of an export directory (`exportOnnx` / `harma export`), with CPU
 * session settings (`OrtSessionSettings`: every core, all graph optimisations, memory arena).
 * Each tower's session is created on its first use.
 */
export async function createOrtEncoder(dir: string, options: OrtEncoderOptions = {}): Promise<OrtEncoder> {
  const { config } = await readExportConfig(dir);
  const precision = options.precision ?? 'fp32';
  const batchSize = checkBatchSize('createOrtEncoder', options.batchSize ?? 32);
  const fileOf = (tower: 'vision' | 'text'): string => {
    const spec = config[tower];
    if (precision === 'fp32') return path.join(dir, spec.file);
    if (!spec.quantized) throw new Error(`${path.join(dir, 'config.json')}: ${tower}.quantized is missing: the export has no int8 variant (export again with quantize on)`);
    return path.join(dir, spec.quantized);
  };
  const runners: Partial<Record<'vision' | 'text', Promise<OrtModelRunner>>> = {};
  const loaded: OrtModelRunner[] = [];
  const runner = (tower: 'vision' | 'text'): Promise<OrtModelRunner> => {
    runners[tower] ??= createOrtRunner(fileOf(tower), options).then(
      (created) => {
        loaded.push(created);
        return created;
      },
      (error: unknown) => {
        delete runners[tower];
        throw error;
      },
    );
    return runners[tower] as Promise<OrtModelRunner>;
  };
  const size = config.preprocess.size;
  const contextLength = config.tokenizer.contextLength;
  const { embedDim } = config;
  let disposed = false;
  const alive = (source: string): void => {
    if (disposed) throw new Error(`${source}: the encoder of ${dir} is disposed`);
  };
  return {
    engine: 'ort',
    config,
    precision,
    embedDim,
    imageSize: size,
    contextLength,
    async encodeImages(pixels, count) {
      alive('encodeImages');
      checkImages('encodeImages', pixels, count, size);
      const session = await runner('vision');
      const perImage = 3 * size * size;
      return encodeInBatches(count, batchSize, embedDim, async (start, n) => {
        const { data } = await session.run(pixels.subarray(start * perImage, (start + n) * perImage), [n, 3, size, size]);
        return data;
      });
    },
    async encodeTexts(ids, count) {
      alive('encodeTexts');
      checkTokenIds('encodeTexts', ids, count, contextLength);
      const session = await runner('text');
      return encodeInBatches(count, batchSize, embedDim, async (start, n) => {
        const rows = ids.subarray(start * contextLength, (start + n) * contextLength);
        const int64 = rows instanceof BigInt64Array ? rows : BigInt64Array.from(rows, (id) => BigInt(id));
        const { data } = await session.run(int64, [n, contextLength]);
        return data;
      });
    },
    endProfiling() {
      return loaded.flatMap((created) => created.endProfiling() ?? []);
    },
    async dispose() {
      disposed = true;
      const settled = await Promise.allSettled(Object.values(runners));
      await Promise.all(settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value.release()] : [])));
    },
  };
}
