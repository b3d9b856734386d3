import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { loadSafetensors } from '@harma/core';

/** A model fixture directory of the golden layout: config.json, inputs and outputs, weights in some format. */
export interface ModelFixture {
  dir: string;
  /** The fixture's config.json, as written by the reference implementation. */
  config: Record<string, unknown>;
  /** `images` [B,3,H,W], `text` [B,L] int32, `idx` [B] int32. */
  inputs: Map<string, tf.Tensor>;
  /** Expected tensors by name (`image_emb`, `plain.text_tokens_block0`, `grad.temp`, …). */
  outputs: Map<string, tf.Tensor>;
  /** Weight files to load through the public loaders: `--weights`, default `weights.safetensors`. */
  weightFiles: string[];
}

export async function readModelFixture(dir: string, weightFiles?: string[]): Promise<ModelFixture> {
  const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const inputs = (await loadSafetensors(path.join(dir, 'inputs.safetensors'))).tensors;
  const outputs = (await loadSafetensors(path.join(dir, 'outputs.safetensors'))).tensors;
  const files = (weightFiles && weightFiles.length > 0 ? weightFiles : ['weights.safetensors']).map((file) =>
    path.isAbsolute(file) || file.includes(path.sep) ? path.resolve(file) : path.join(dir, file),
  );
  return { dir, config, inputs, outputs, weightFiles: files };
}

/**
 * Computes some of a fixture's outputs. Each stage of the project (backbone, adapters, losses,
 * gradients, optimiser) contributes one; what no computer returns is reported as not computed.
 */
export interface ModelComputer {
  /** What it computes, for the report (`plain backbone`, `HarMA forward`). */
  readonly label: string;
  /** Returns tensors named as in outputs.safetensors; the caller disposes them. */
  compute(fixture: ModelFixture): Promise<Map<string, tf.Tensor>>;
}

/** An input tensor of the fixture (`images`, `text`, `idx`); a missing one is an error naming the folder. */
export function fixtureInput(fixture: ModelFixture, name: string): tf.Tensor {
  const tensor = fixture.inputs.get(name);
  if (!tensor) throw new Error(`${fixture.dir}: inputs.safetensors has no '${name}'`);
  return tensor;
}
