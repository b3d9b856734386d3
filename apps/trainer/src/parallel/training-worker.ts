// Entry of a training worker thread: its own tfjs engine and backend, its own copy of the model,
// one shard of every batch (see data-parallel.ts for the protocol).
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@harma/core';
import { shardGradients } from '@harma/losses';
import type { FromWorker, ToWorker } from './messages';
import { buildFromRecipe, type ShardModel } from './model-recipe';
import { ParameterLayout } from './parameter-layout';
import { ABORT, GO, doneIndex, embeddedIndex, failedIndex, signal, viewShared, waitFor, writeError, type SharedState } from './shared-state';

interface WorkerContext {
  worker: number;
  model: ShardModel;
  layout: ParameterLayout;
  state: SharedState;
  stallTimeoutMs: number;
}

const port = parentPort;
if (!port) throw new Error('training-worker: must run as a worker thread');
let context: WorkerContext | undefined;
let currentStep = 0;

const post = (message: FromWorker): void => port.postMessage(message);

async function init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  await useBackend(message.backend, message.products);
  const model = await buildFromRecipe(message.recipe);
  // A worker's copy computes training steps only: training mode, as the main thread's during a step.
  model.backbone.setTraining?.(true);
  for (const parameter of model.backbone.module.parameters()) parameter.keepTransposed = message.keepTransposed;
  const layout = new ParameterLayout(model.trainable);
  const expected = new ParameterLayout(message.slots.map((slot) => [slot.name, { shape: slot.shape, size: slot.size }] as const));
  expected.expectSame(layout, `training worker ${message.worker + 1}`);
  context = { worker: message.worker, model, layout, state: viewShared(message.buffers), stallTimeoutMs: message.stallTimeoutMs };
  post({ type: 'ready', embedDim: model.backbone.embedDim });
}

function step(message: Extract<ToWorker, { type: 'step' }>, { worker, model, layout, state, stallTimeoutMs }: WorkerContext): void {
  const { step: k, start, size } = message;
  const dim = state.embedDim;
  layout.readValues(state.parameters, model.trainable);
  const tokens = tf.tensor2d(message.tokens, [size, message.contextLength], 'int32');
  // Given image embeddings (a batch-dependent image tower, encoded by the main thread) or pixels to encode.
  const shard = message.imageEmbeddings
    ? { imageEmbeddings: tf.tensor2d(message.imageEmbeddings, [size, dim]), tokens, size }
    : { pixels: tf.tensor4d(message.pixels, [size, 3, message.imageSize, message.imageSize]), tokens, size };
  try {
    const towerParameters = model.trainable.filter(([, parameter]) => parameter !== model.temperature);
    const gradients = shardGradients(model.backbone, towerParameters, shard, (image, text) => {
      state.image.set(image.dataSync() as Float32Array, start * dim);
      state.text.set(text.dataSync() as Float32Array, start * dim);
      signal(state.control, embeddedIndex(worker), k);
      waitFor(state.control, GO, k, { abortIndex: ABORT, abortValue: k, timeoutMs: stallTimeoutMs, what: `training worker ${worker + 1}, step ${k}: waiting for the objective` });
      return {
        dImage: tf.tensor2d(state.imageGradient.slice(start * dim, (start + size) * dim), [size, dim]),
        dText: tf.tensor2d(state.textGradient.slice(start * dim, (start + size) * dim), [size, dim]),
      };
    }, { microBatchSize: message.microBatchSize });
    layout.writeTensors(gradients, state.gradients[worker] as Float32Array);
    tf.dispose([...gradients.values()]);
    signal(state.control, doneIndex(worker), k);
  } finally {
    tf.dispose([shard.pixels ?? shard.imageEmbeddings, tokens]);
  }
}

function fail(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (!context) {
    post({ type: 'error', message });
    return;
  }
  writeError(context.state, context.worker, message);
  signal(context.state.control, failedIndex(context.worker), currentStep);
}

process.on('uncaughtException', fail);

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      init(message).catch(fail);
      return;
    case 'buffers':
      if (context) context.state = viewShared(message.buffers);
      return;
    case 'step':
      currentStep = message.step;
      try {
        if (!context) throw new Error('training worker: step before init');
        step(message, context);
      } catch (error) {
        fail(error);
      }
      return;
    case 'close':
      context?.model.dispose();
      context = undefined;
      post({ type: 'closed' });
      port.close();
      return;
  }
});
