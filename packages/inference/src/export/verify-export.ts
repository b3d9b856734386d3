import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, type Backbone } from '@harma/core';
import { createOrtEncoder, type OrtPrecision } from '../encoder/ort-encoder';
import { createTfjsEncoder } from '../encoder/tfjs-encoder';
import { embeddingAgreement, type EmbeddingAgreement } from '../eval/embedding-agreement';
import type { OrtSessionSettings } from '../runtime/ort-runtime';
import { sampleTowerInput } from './tower-trace';

export interface VerifyExportOptions {
  /** Items per tower compared. Default: 3 (a batch size no trace used). */
  batch?: number;
  /** fp32: largest |ORT − tfjs| allowed. Default: 1e-4. */
  tolerance?: number;
  /** int8: smallest cosine between ORT and tfjs embeddings allowed. Default: 0.99. */
  minCosine?: number;
  /** Which graphs to check. Default: 'fp32'. */
  precision?: OrtPrecision;
  /** Seed of the sample inputs. Default: 'verify-export'. */
  seed?: string;
  session?: OrtSessionSettings;
}

export interface ExportParity {
  precision: OrtPrecision;
  batch: number;
  vision: EmbeddingAgreement;
  text: EmbeddingAgreement;
}

/**
 * Load an export in ONNX Runtime and compare its embeddings with the tfjs backbone it came from
 * on sample images and token ids; throws when they differ by more than the tolerance (fp32) or
 * fall below the cosine bound (int8). Returns the figures.
 */
export async function verifyExport(dir: string, backbone: Backbone, options: VerifyExportOptions = {}): Promise<ExportParity> {
  const batch = options.batch ?? 3;
  const precision = options.precision ?? 'fp32';
  const rng = new SeededRandom(options.seed ?? 'verify-export');
  const pixels = sampleTowerInput(backbone, 'vision', batch, rng);
  const ids = sampleTowerInput(backbone, 'text', batch, rng);
  const images = pixels.dataSync() as Float32Array;
  const tokens = ids.dataSync() as Int32Array;
  tf.dispose([pixels, ids]);
  const reference = createTfjsEncoder(backbone);
  const candidate = await createOrtEncoder(dir, { ...options.session, precision });
  try {
    const vision = embeddingAgreement(await reference.encodeImages(images, batch), await candidate.encodeImages(images, batch), backbone.embedDim);
    const text = embeddingAgreement(await reference.encodeTexts(tokens, batch), await candidate.encodeTexts(tokens, batch), backbone.embedDim);
    for (const [tower, agreement] of [['vision', vision], ['text', text]] as const) {
      if (precision === 'fp32' && agreement.maxAbsDifference > (options.tolerance ?? 1e-4)) {
        throw new Error(`${dir}: the ${tower} graph differs from the tfjs model by ${agreement.maxAbsDifference.toExponential(2)} (tolerance ${options.tolerance ?? 1e-4})`);
      }
      if (precision === 'int8' && agreement.minCosine < (options.minCosine ?? 0.99)) {
        throw new Error(`${dir}: the int8 ${tower} graph's embeddings reach cosine ${agreement.minCosine.toFixed(4)} to the tfjs model's (bound ${options.minCosine ?? 0.99})`);
      }
    }
    return { precision, batch, vision, text };
  } finally {
    await candidate.dispose();
  }
}
