import * as tf from '@tensorflow/tfjs-core';

export interface KernelShare {
  kernel: string;
  seconds: number;
  /** Of the step's wall time. */
  share: number;
  /** Matrix products: the rate they ran at. */
  gflops?: number;
}

interface ProfiledKernel {
  name: string;
  kernelTimeMs: number | { error: string };
  inputShapes: number[][];
  outputShapes: number[][];
}

/** FLOPs of a BatchMatMul from its shapes, whatever its transpose flags (the output fixes m and n). */
function productFlops(kernel: ProfiledKernel): number {
  const a = kernel.inputShapes[0] as number[];
  const out = kernel.outputShapes[0] as number[];
  const m = out[out.length - 2] as number;
  const n = out[out.length - 1] as number;
  const k = a[a.length - 2] === m ? (a[a.length - 1] as number) : (a[a.length - 2] as number);
  return 2 * out.slice(0, -2).reduce((x, y) => x * y, 1) * m * n * k;
}

/**
 * Run `step` once under `tf.profile` and sum the time of its kernels by name: matrix products
 * split into single (2-D) and batched ones (attention), custom-gradient layers left out (their
 * inner kernels are counted by name already). The rest of the wall time is JavaScript: the
 * engine, the tape, the layers' code.
 */
export async function profileStep(step: () => void): Promise<KernelShare[]> {
  let wall = 0;
  const info = await tf.profile(() => {
    const started = performance.now();
    step();
    wall = (performance.now() - started) / 1000;
  });
  const sums = new Map<string, { seconds: number; flops: number }>();
  for (const kernel of info.kernels as unknown as ProfiledKernel[]) {
    if (typeof kernel.kernelTimeMs !== 'number' || kernel.name === 'unnamed scope') continue;
    let name = kernel.name;
    let flops = 0;
    if (name === 'BatchMatMul') {
      const out = kernel.outputShapes[0] as number[];
      name = out.slice(0, -2).reduce((x, y) => x * y, 1) > 1 ? 'BatchMatMul (batched: attention)' : 'BatchMatMul (2-D: linear layers)';
      flops = productFlops(kernel);
    }
    const sum = sums.get(name) ?? { seconds: 0, flops: 0 };
    sum.seconds += kernel.kernelTimeMs / 1000;
    sum.flops += flops;
    sums.set(name, sum);
  }
  const kernels = [...sums.entries()].map(([kernel, { seconds, flops }]) => ({
    kernel,
    seconds,
    share: seconds / wall,
    ...(flops > 0 ? { gflops: flops / seconds / 1e9 } : {}),
  }));
  const counted = kernels.reduce((total, k) => total + k.seconds, 0);
  kernels.push({ kernel: '(outside kernels: JavaScript, engine, tape)', seconds: Math.max(0, wall - counted), share: Math.max(0, wall - counted) / wall });
  return kernels.sort((a, b) => b.seconds - a.seconds);
}
