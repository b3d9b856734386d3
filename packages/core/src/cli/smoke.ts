/**
 * Proves the tensor runtime works on this machine: loads the best backend, runs a matrix product
 * and a gradient through the HarMA layers, and prints what it measured.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../runtime/init-backend';
import { Linear } from '../nn/linear';
import { MultiheadAttention } from '../nn/multihead-attention';
import { gelu } from '../nn/activations';
import { SeededRandom } from '../random/seeded-random';
import { valueAndGradients } from '../module/gradients';
import { Module } from '../module/module';

async function main(): Promise<void> {
  const choice = await initBackend();
  const rng = new SeededRandom(0);

  const [m, k, n] = [512, 768, 768];
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  tf.matMul(a, b).dispose();
  const repeats = 5;
  const start = performance.now();
  for (let i = 0; i < repeats; i++) {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }
  const seconds = (performance.now() - start) / 1000 / repeats;
  tf.dispose([a, b]);

  const model = new Module();
  const attention = model.register('attn', new MultiheadAttention(64, 4, { rng }));
  const head = model.register('head', new Linear(64, 1, { rng }));
  const x = tf.tensor(rng.fillNormal(2 * 10 * 64), [2, 10, 64]);
  const { value, gradients } = valueAndGradients(
    () => tf.mean(head.forward(gelu(attention.forward(x)))) as tf.Scalar,
    model.namedParameters(),
  );
  const gradientNorm = Math.sqrt([...gradients.values()].reduce((sum, g) => sum + tf.sum(tf.square(g)).dataSync()[0]!, 0));

  const report = {
    backend: choice.backend,
    unavailable: choice.attempts.filter((attempt) => !attempt.ok).map((attempt) => `${attempt.backend}: ${attempt.reason}`),
    matmulGflops: Number(((2 * m * k * n) / seconds / 1e9).toFixed(1)),
    parameters: model.countParameters().total,
    loss: Number(value.dataSync()[0]!.toFixed(6)),
    gradientNorm: Number(gradientNorm.toFixed(6)),
  };
  if (!Number.isFinite(report.loss) || !(report.gradientNorm > 0)) throw new Error(`runtime check failed: ${JSON.stringify(report)}`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
