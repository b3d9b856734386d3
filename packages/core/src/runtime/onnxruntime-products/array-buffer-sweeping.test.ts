import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseArrayBufferSweeping, setArrayBufferSweeping } from './array-buffer-sweeping';
import { loadOnnxRuntimeBinding, nativeSessionOptions } from './onnxruntime-binding';
import { productModel } from './product-model';

afterEach(() => {
  vi.restoreAllMocks();
  setArrayBufferSweeping('foreground');
});

describe('array buffer sweeping', () => {
  // The reason the flag is set: if a later onnxruntime-node stops copying, this fails and the
  // choice should be measured again (apps/trainer's bench runs the step both ways).
  it('onnxruntime-node returns a copy of an output it wrote in place, a new ArrayBuffer each run', () => {
    const { InferenceSession, Tensor } = loadOnnxRuntimeBinding();
    const session = new InferenceSession();
    const model = productModel({ transposeA: false, transposeB: false });
    session.loadModel(model.buffer, model.byteOffset, model.byteLength, nativeSessionOptions({ threads: 1, arena: false }));
    const out = new Float32Array(4);
    const run = () => session.run({ a: new Tensor('float32', new Float32Array([1, 2, 3, 4]), [2, 2]), b: new Tensor('float32', new Float32Array([1, 0, 0, 1]), [2, 2]) }, { y: new Tensor('float32', out, [2, 2]) }, {});
    const first = run().y?.data as Float32Array;
    const second = run().y?.data as Float32Array;
    session.dispose();
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(Array.from(first)).toEqual([1, 2, 3, 4]);
    expect(first.buffer).not.toBe(out.buffer);
    expect(second.buffer).not.toBe(first.buffer);
  });

  it('sets the V8 flag of each choice, for the whole process', () => {
    const flags = vi.spyOn(v8, 'setFlagsFromString');
    setArrayBufferSweeping('background');
    setArrayBufferSweeping('foreground');
    expect(flags.mock.calls).toEqual([['--concurrent-array-buffer-sweeping'], ['--no-concurrent-array-buffer-sweeping']]);
  });

  it('reads HARMA_ARRAY_BUFFER_SWEEPING: unset or empty is no choice, anything but the two choices is refused by name', () => {
    expect(parseArrayBufferSweeping(undefined)).toBeUndefined();
    expect(parseArrayBufferSweeping('')).toBeUndefined();
    expect(parseArrayBufferSweeping('background')).toBe('background');
    expect(() => parseArrayBufferSweeping('Foreground')).toThrow('HARMA_ARRAY_BUFFER_SWEEPING=Foreground is not a choice; use one of foreground, background (default: foreground)');
  });
});
