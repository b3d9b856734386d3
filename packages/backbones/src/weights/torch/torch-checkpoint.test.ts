import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatToBfloat16, floatToHalf, loadSafetensors, useBackend } from '@harma/core';
import { fixturePath } from '@harma/test-support';
import { readWeightFile } from '../load-weights';
import { WeightFileError } from '../weight-file-error';
import { PickleWriter } from '../../../test/pickle-writer';
import { bytesOf, writeTorchArchive, writeZip } from '../../../test/zip-writer';

let dir: string;

beforeAll(async () => {
  await useBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-torch-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function values(tensors: Map<string, tf.Tensor>, name: string): number[] {
  const tensor = tensors.get(name);
  if (!tensor) throw new Error(`no tensor '${name}' (have ${[...tensors.keys()].join(', ')})`);
  return Array.from(tensor.dataSync());
}

function disposeAll(tensors: Map<string, tf.Tensor>): void {
  for (const tensor of tensors.values()) tensor.dispose();
}

interface TensorSpec {
  name: string;
  storageType?: string;
  key: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}

/** `{name: tensor, …}` as torch.save writes a dict (entries inside one MARK … SETITEMS). */
function dictPickle(writer: PickleWriter, tensors: TensorSpec[]): PickleWriter {
  writer.emptyDict().mark();
  for (const spec of tensors) writer.str(spec.name).tensor({ storageType: 'FloatStorage', ...spec });
  return writer.setItems();
}

async function archive(name: string, pickle: Uint8Array, storages: Record<string, Uint8Array>, extra?: Record<string, Uint8Array>): Promise<string> {
  const file = path.join(dir, name);
  await writeTorchArchive(file, { pickle, storages, extra });
  return file;
}

describe('PyTorch checkpoints saved by PyTorch 1.13 (committed fixtures)', () => {
  let expected: Map<string, tf.Tensor>;

  beforeAll(async () => {
    expected = (await loadSafetensors(fixturePath('golden', 'tiny-gelu', 'weights.safetensors'))).tensors;
  });

  afterAll(() => disposeAll(expected));

  it('reads a plain state dict (weights.pt) into exactly the tensors of weights.safetensors', async () => {
    const { tensors, info } = await readWeightFile(fixturePath('golden', 'tiny-gelu', 'weights.pt'));
    expect(info).toMatchObject({ format: 'pytorch-zip', layout: 'state-dict', convertedFromHuggingFace: false });
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, tensor] of expected) {
      expect(tensors.get(name)?.shape, name).toEqual(tensor.shape);
      expect(values(tensors, name), name).toEqual(Array.from(tensor.dataSync()));
    }
    disposeAll(tensors);
  });

  it("reads HarMA's {'model': …, 'config': …} checkpoint, stripping `model.` from every name but temp", async () => {
    const { tensors, info } = await readWeightFile(fixturePath('golden', 'tiny-gelu', 'harma_checkpoint.pth'));
    expect(info.layout).toBe('harma-checkpoint');
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, tensor] of expected) expect(values(tensors, name), name).toEqual(Array.from(tensor.dataSync()));
    disposeAll(tensors);
  });
});

describe('PyTorch zip checkpoints written by the tests', () => {
  it('converts fp16 and bf16 storages to float32 exactly', async () => {
    const half = [1, -2, 0.5, 65504, 2 ** -24, -0];
    const brain = [1, -3.5, 2 ** 100, 2 ** -130];
    const writer = new PickleWriter().proto();
    dictPickle(writer, [
      { name: 'half', storageType: 'HalfStorage', key: '0', numel: 6, shape: [2, 3] },
      { name: 'brain', storageType: 'BFloat16Storage', key: '1', numel: 4, shape: [4] },
    ]).stop();
    const file = await archive('half.pt', writer.bytes(), {
      0: bytesOf(Uint16Array.from(half, floatToHalf)),
      1: bytesOf(Uint16Array.from(brain, floatToBfloat16)),
    });
    const { tensors } = await readWeightFile(file);
    expect(tensors.get('half')?.dtype).toBe('float32');
    expect(values(tensors, 'half')).toEqual(half);
    expect(values(tensors, 'brain')).toEqual(brain);
    disposeAll(tensors);
  });

  it('reads strided, offset and shared-storage views (transposed and sliced tensors)', async () => {
    const storage = Float32Array.from({ length: 12 }, (_, i) => i);
    const writer = new PickleWriter().proto();
    dictPickle(writer, [
      // The transpose of a [2, 3] tensor: size [3, 2], stride [1, 3].
      { name: 'transposed', key: '0', numel: 12, shape: [3, 2], stride: [1, 3] },
      // rows 1..2, columns 1..2 of a [3, 4] tensor: offset 5, stride [4, 1].
      { name: 'window', key: '0', numel: 12, offset: 5, shape: [2, 2], stride: [4, 1] },
      { name: 'tail', key: '0', numel: 12, offset: 10, shape: [2] },
      { name: 'scalar', key: '0', numel: 12, offset: 7, shape: [] },
      { name: 'broadcast', key: '0', numel: 12, offset: 3, shape: [2, 3], stride: [0, 1] },
    ]).stop();
    const { tensors } = await readWeightFile(await archive('strided.pt', writer.bytes(), { 0: bytesOf(storage) }));
    expect(values(tensors, 'transposed')).toEqual([0, 3, 1, 4, 2, 5]);
    expect(values(tensors, 'window')).toEqual([5, 6, 9, 10]);
    expect(values(tensors, 'tail')).toEqual([10, 11]);
    expect(tensors.get('scalar')?.shape).toEqual([]);
    expect(values(tensors, 'scalar')).toEqual([7]);
    expect(values(tensors, 'broadcast')).toEqual([3, 4, 5, 3, 4, 5]);
    disposeAll(tensors);
  });

  it("reads an open_clip training checkpoint {'state_dict': OrderedDict, …} and strips DDP's `module.`", async () => {
    const writer = new PickleWriter().proto().emptyDict().mark();
    writer.str('epoch').int(32).str('name').str('run-1');
    writer.str('state_dict').global('collections', 'OrderedDict').emptyTuple().reduce().mark();
    writer.str('module.logit_scale').tensor({ storageType: 'FloatStorage', key: '0', numel: 1, shape: [] });
    writer.str('module.visual.proj').tensor({ storageType: 'FloatStorage', key: '1', numel: 4, shape: [2, 2] });
    writer.setItems();
    // OrderedDict.__reduce__ puts its `_metadata` attribute in a BUILD state.
    writer.emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce();
    writer.mark().str('').emptyDict().str('version').int(1).setItem().setItems().setItem().build();
    writer.str('optimizer').emptyDict().str('lr').float(1e-4).setItem();
    writer.setItems().stop();
    const file = await archive('train.pt', writer.bytes(), { 0: bytesOf(Float32Array.of(4.6)), 1: bytesOf(Float32Array.of(1, 2, 3, 4)) });
    const { tensors, info } = await readWeightFile(file);
    expect(info.layout).toBe('training-checkpoint');
    expect([...tensors.keys()].sort()).toEqual(['logit_scale', 'visual.proj']);
    expect(values(tensors, 'visual.proj')).toEqual([1, 2, 3, 4]);
    disposeAll(tensors);
  });

  it('reads int64 storages as int32 and deflated zip entries', async () => {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [{ name: 'ids', storageType: 'LongStorage', key: '0', numel: 3, shape: [3] }]).stop();
    const file = path.join(dir, 'deflated.pt');
    await writeTorchArchive(file, { pickle: writer.bytes(), storages: { 0: bytesOf(BigInt64Array.of(0n, -5n, 2147483647n)) }, deflate: true });
    const { tensors } = await readWeightFile(file);
    expect(tensors.get('ids')?.dtype).toBe('int32');
    expect(values(tensors, 'ids')).toEqual([0, -5, 2147483647]);
    disposeAll(tensors);
  });

  it("drops OpenAI's non-parameter tensors (attn_mask, input_resolution)", async () => {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [
      { name: 'transformer.resblocks.0.attn_mask', key: '0', numel: 4, shape: [2, 2] },
      { name: 'input_resolution', storageType: 'LongStorage', key: '1', numel: 1, shape: [] },
      { name: 'logit_scale', key: '2', numel: 1, shape: [] },
    ]).stop();
    const file = await archive('openai.pt', writer.bytes(), {
      0: bytesOf(new Float32Array(4)),
      1: bytesOf(BigInt64Array.of(224n)),
      2: bytesOf(Float32Array.of(4.6)),
    });
    const { tensors, info } = await readWeightFile(file);
    expect([...tensors.keys()]).toEqual(['logit_scale']);
    expect(info.dropped.sort()).toEqual(['input_resolution', 'transformer.resblocks.0.attn_mask']);
    disposeAll(tensors);
  });
});

describe('TorchScript archives (OpenAI layout: module objects as attribute records, no code run)', () => {
  function scriptPickle(): Uint8Array {
    const w = new PickleWriter().proto();
    w.global('__torch__.model', 'CLIP').emptyTuple().newObj();
    w.emptyDict().mark();
    w.str('training').bool(false);
    w.str('visual').global('__torch__.model', 'Visual').emptyTuple().newObj();
    w.emptyDict().mark().str('training').bool(false).str('proj').tensor({ storageType: 'HalfStorage', key: '0', numel: 2, shape: [1, 2], location: 'cuda:0' });
    w.str('extra').tensor({ storageType: 'HalfStorage', key: '0', numel: 2, offset: 1, shape: [1] });
    w.setItems().build();
    w.str('attn_mask').tensor({ storageType: 'FloatStorage', key: '1', numel: 1, shape: [] });
    w.str('logit_scale').tensor({ storageType: 'FloatStorage', key: '2', numel: 1, shape: [] });
    w.str('sizes').global('torch.jit._pickle', 'build_intlist').mark().emptyList().mark().int(1).int(2).appends().tuple().reduce();
    w.setItems().build().stop();
    return w.bytes();
  }

  it('collects parameters and buffers by attribute path, leaving out plain tensor attributes', async () => {
    // Class declarations as torch.jit.save writes them in code/__torch__/<module>.py; Visual has none, so all its tensors count.
    const code = new TextEncoder().encode('class CLIP(Module):\n  __parameters__ = ["logit_scale", ]\n  __buffers__ = []\n  training : bool\n  attn_mask : Tensor\n');
    const file = path.join(dir, 'script.pt');
    await writeTorchArchive(file, {
      pickle: scriptPickle(),
      storages: { 0: bytesOf(Uint16Array.from([0.25, 8], floatToHalf)), 1: bytesOf(Float32Array.of(0)), 2: bytesOf(Float32Array.of(4.6)) },
      extra: { 'code/__torch__/model.py': code, 'constants.pkl': new PickleWriter().proto().emptyTuple().stop().bytes() },
    });
    const { tensors, info } = await readWeightFile(file);
    expect(info.layout).toBe('torchscript');
    expect([...tensors.keys()].sort()).toEqual(['logit_scale', 'visual.extra', 'visual.proj']);
    expect(values(tensors, 'visual.proj')).toEqual([0.25, 8]);
    expect(values(tensors, 'visual.extra')).toEqual([8]);
    disposeAll(tensors);
  });

  it("reads a ResNet BatchNorm's parameters and buffers (OpenAI RN50: fp16 statistics, int64 counter)", async () => {
    const w = new PickleWriter().proto();
    w.global('__torch__.model', 'CLIP').emptyTuple().newObj();
    w.emptyDict().mark().str('visual').global('__torch__.model', 'ModifiedResNet').emptyTuple().newObj();
    w.emptyDict().mark().str('bn1').global('__torch__.torch.nn.modules.batchnorm', 'BatchNorm2d').emptyTuple().newObj();
    w.emptyDict().mark().str('training').bool(false);
    w.str('weight').tensor({ storageType: 'HalfStorage', key: '0', numel: 2, shape: [2] });
    w.str('bias').tensor({ storageType: 'HalfStorage', key: '1', numel: 2, shape: [2] });
    w.str('running_mean').tensor({ storageType: 'HalfStorage', key: '2', numel: 2, shape: [2] });
    w.str('running_var').tensor({ storageType: 'HalfStorage', key: '3', numel: 2, shape: [2] });
    w.str('num_batches_tracked').tensor({ storageType: 'LongStorage', key: '4', numel: 1, shape: [] });
    w.setItems().build().setItems().build().setItems().build().stop();
    const batchNorm = 'class BatchNorm2d(Module):\n  __parameters__ = ["weight", "bias", ]\n  __buffers__ = ["running_mean", "running_var", "num_batches_tracked", ]\n  training : bool\n';
    const file = path.join(dir, 'rn50-script.pt');
    const half = (...numbers: number[]): Uint8Array => bytesOf(Uint16Array.from(numbers, floatToHalf));
    await writeTorchArchive(file, {
      pickle: w.bytes(),
      storages: { 0: half(1, 0.5), 1: half(0, -0.25), 2: half(0.125, 2), 3: half(1.5, 4), 4: bytesOf(BigInt64Array.of(0n)) },
      extra: { 'code/__torch__/torch/nn/modules/batchnorm.py': new TextEncoder().encode(batchNorm), 'constants.pkl': new PickleWriter().proto().emptyTuple().stop().bytes() },
    });
    const { tensors, info } = await readWeightFile(file);
    expect(info.layout).toBe('torchscript');
    expect([...tensors.keys()].sort()).toEqual(['visual.bn1.bias', 'visual.bn1.num_batches_tracked', 'visual.bn1.running_mean', 'visual.bn1.running_var', 'visual.bn1.weight']);
    expect(values(tensors, 'visual.bn1.running_var')).toEqual([1.5, 4]);
    expect(tensors.get('visual.bn1.num_batches_tracked')?.dtype).toBe('int32');
    expect(values(tensors, 'visual.bn1.num_batches_tracked')).toEqual([0]);
    disposeAll(tensors);
  });

  it('refuses TorchScript classes in a plain (non-TorchScript) checkpoint', async () => {
    const file = await archive('fake-script.pt', scriptPickle(), { 0: new Uint8Array(4), 1: new Uint8Array(4), 2: new Uint8Array(4) });
    await expect(readWeightFile(file)).rejects.toThrow(/fake-script\.pt: archive\/data\.pkl: refused the global '__torch__\.model\.CLIP'/);
  });
});

describe('broken or hostile checkpoints give errors naming the file and the tensor', () => {
  async function goodArchive(): Promise<string> {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [{ name: 'visual.proj', key: '0', numel: 4, shape: [2, 2] }]).stop();
    return archive('good.pt', writer.bytes(), { 0: bytesOf(Float32Array.of(1, 2, 3, 4)) });
  }

  it('a truncated zip', async () => {
    const bytes = await fs.readFile(await goodArchive());
    const file = path.join(dir, 'truncated.pt');
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 40));
    await expect(readWeightFile(file)).rejects.toThrow(new RegExp(`${file}: not a readable zip archive \\(truncated or corrupt\\?\\)`));
  });

  it('a truncated committed checkpoint', async () => {
    const bytes = await fs.readFile(fixturePath('golden', 'tiny-gelu', 'weights.pt'));
    const file = path.join(dir, 'half-weights.pt');
    await fs.writeFile(file, bytes.subarray(0, bytes.length >> 1));
    await expect(readWeightFile(file)).rejects.toBeInstanceOf(WeightFileError);
  });

  it('a pickle naming a forbidden global (code execution attempt)', async () => {
    const writer = new PickleWriter().proto().global('os', 'system').str('echo pwned').tuple1().reduce().stop();
    const file = await archive('evil.pt', writer.bytes(), {});
    await expect(readWeightFile(file)).rejects.toThrow(/evil\.pt: archive\/data\.pkl: refused the global 'os\.system'.*never runs code.*\(pickle byte 2\)/);
  });

  it('a whole pickled model instead of a state dict', async () => {
    const writer = new PickleWriter().proto().global('open_clip.model', 'CLIP').emptyTuple().newObj().stop();
    await expect(readWeightFile(await archive('model.pt', writer.bytes(), {}))).rejects.toThrow(/refused the global 'open_clip\.model\.CLIP'.*state_dict\(\)/);
  });

  it('a storage shorter than its tensor', async () => {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [{ name: 'visual.proj', key: '0', numel: 4, shape: [2, 2] }]).stop();
    const file = await archive('short.pt', writer.bytes(), { 0: bytesOf(Float32Array.of(1, 2)) });
    await expect(readWeightFile(file)).rejects.toThrow(/short\.pt: tensor 'visual\.proj': storage '0' holds 8 bytes but 4 F32 elements need 16/);
  });

  it('a view reaching past its storage', async () => {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [{ name: 'visual.proj', key: '0', numel: 4, offset: 2, shape: [2, 2] }]).stop();
    const file = await archive('past.pt', writer.bytes(), { 0: bytesOf(Float32Array.of(1, 2, 3, 4)) });
    await expect(readWeightFile(file)).rejects.toThrow(/past\.pt: tensor 'visual\.proj': view of shape \[2,2\].*reaches element 5 of storage '0', which holds 4/);
  });

  it('a missing storage record', async () => {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [{ name: 'visual.proj', key: '7', numel: 4, shape: [2, 2] }]).stop();
    await expect(readWeightFile(await archive('nostorage.pt', writer.bytes(), {}))).rejects.toThrow(/nostorage\.pt: tensor 'visual\.proj': its storage '7'.*missing/);
  });

  it('a truncated pickle stream', async () => {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [{ name: 'visual.proj', key: '0', numel: 4, shape: [2, 2] }]);
    const bytes = writer.bytes();
    const file = await archive('cut.pt', bytes.subarray(0, bytes.length - 30), { 0: bytesOf(Float32Array.of(1, 2, 3, 4)) });
    await expect(readWeightFile(file)).rejects.toThrow(/cut\.pt: archive\/data\.pkl: truncated/);
  });

  it('a dict that is not a state dict', async () => {
    const writer = new PickleWriter().proto().emptyDict().mark().str('epoch').int(3).str('lr').float(0.1).setItems().stop();
    await expect(readWeightFile(await archive('meta.pt', writer.bytes(), {}))).rejects.toThrow(/meta\.pt: no state dict found: top-level keys are epoch, lr/);
  });

  it('a state dict entry that is not a tensor', async () => {
    const writer = new PickleWriter().proto().emptyDict().mark();
    writer.str('logit_scale').tensor({ storageType: 'FloatStorage', key: '0', numel: 1, shape: [] });
    writer.str('visual.proj').float(1).setItems().stop();
    const file = await archive('float.pt', writer.bytes(), { 0: new Uint8Array(4) });
    await expect(readWeightFile(file)).rejects.toThrow(/float\.pt: top-level entry 'visual\.proj' is number, not a tensor: this is not a state dict/);
  });

  it('a big-endian archive', async () => {
    const writer = new PickleWriter().proto();
    dictPickle(writer, [{ name: 'visual.proj', key: '0', numel: 1, shape: [] }]).stop();
    const file = await archive('big.pt', writer.bytes(), { 0: new Uint8Array(4) }, { byteorder: new TextEncoder().encode('big') });
    await expect(readWeightFile(file)).rejects.toThrow(/big\.pt: tensors are stored big-endian/);
  });

  it('a zip without data.pkl', async () => {
    const file = path.join(dir, 'other.zip');
    await writeZip(file, [{ name: 'readme.txt', data: new TextEncoder().encode('hi') }]);
    await expect(readWeightFile(file)).rejects.toThrow(/other\.zip: zip archive without a data\.pkl record: not a PyTorch checkpoint/);
  });
});
