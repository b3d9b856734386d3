import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../runtime/init-backend';
import { floatToBfloat16, floatToHalf, halfToFloat } from './dtype';
import { hostToTensor } from './host-tensor';
import {
  loadSafetensors,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors';

/** A safetensors file written byte by byte: u64 little-endian header length, header, data. */
function handWritten(header: string, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  out[0] = json.length & 0xff;
  out[1] = (json.length >> 8) & 0xff;
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const HEADER =
  '{"__metadata__":{"format":"pt"},' +
  '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
  '"h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},' +
  '"b":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]},' +
  '"i":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
  '"l":{"dtype":"I64","shape":[2],"data_offsets":[20,36]},' +
  '"u":{"dtype":"U8","shape":[2,1],"data_offsets":[36,38]},' +
  '"s":{"dtype":"F32","shape":[],"data_offsets":[38,42]}}';
const DATA = [
  0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, // F32 1.0, -2.5
  0x00, 0x3c, 0x01, 0x00, // F16 1.0, 2^-24
  0x80, 0x3f, 0x49, 0x40, // BF16 1.0, 3.140625
  0x07, 0x00, 0x00, 0x00, // I32 7
  0x05, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // I64 5, -1
  0x02, 0xfe, // U8 2, 254
  0x00, 0x00, 0x00, 0x3f, // F32 scalar 0.5
];

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'harma-safetensors-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const target = path.join(dir, name);
  await fs.writeFile(target, bytes);
  return target;
}

describe('safetensors reading', () => {
  it('reads every dtype of a hand-written file', async () => {
    const target = await file('all.safetensors', handWritten(HEADER, DATA));
    const { metadata, tensors } = await loadSafetensors(target);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()]).toEqual(['a', 'h', 'b', 'i', 'l', 'u', 's']);
    const values = (name: string): number[] => Array.from(tensors.get(name)!.dataSync());
    expect(values('a')).toEqual([1, -2.5]);
    expect(values('h')).toEqual([1, 2 ** -24]);
    expect(values('b')).toEqual([1, 3.140625]);
    expect(values('i')).toEqual([7]);
    expect(values('l')).toEqual([5, -1]);
    expect(tensors.get('l')!.dtype).toBe('int32');
    expect(values('u')).toEqual([2, 254]);
    expect(tensors.get('u')!.shape).toEqual([2, 1]);
    expect(tensors.get('s')!.shape).toEqual([]);
    expect(values('s')).toEqual([0.5]);
  });

  it('reads a subset by name and parses the same bytes from memory', async () => {
    const target = await file('subset.safetensors', handWritten(HEADER, DATA));
    const { tensors } = await readSafetensors(target, { filter: (name) => name === 'i' });
    expect([...tensors.keys()]).toEqual(['i']);
    const parsed = parseSafetensors(handWritten(HEADER, DATA));
    expect(Array.from(parsed.tensors.get('b')!.data as Uint16Array)).toEqual([0x3f80, 0x4049]);
  });

  it('lists the tensors of a 4 GiB file without reading its data', async () => {
    const header = '{"big":{"dtype":"F32","shape":[1024,1024,1024],"data_offsets":[0,4294967296]}}';
    const target = path.join(dir, 'big.safetensors');
    await fs.writeFile(target, handWritten(header, []));
    await fs.truncate(target, 8 + header.length + 4294967296); // sparse: no blocks written
    const before = process.memoryUsage().rss;
    const listed = await readSafetensorsHeader(target);
    expect(listed.entries).toEqual([{ name: 'big', dtype: 'F32', shape: [1024, 1024, 1024], dataOffsets: [0, 4294967296] }]);
    expect(listed.dataStart).toBe(8 + header.length);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('safetensors errors name the file and the tensor', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['truncated data', handWritten(HEADER, DATA.slice(0, 30)), /truncated: tensors need 42 data bytes but only 30/],
    ['header longer than the file', handWritten(HEADER, DATA).slice(0, 40), /header length \d+ runs past the end of the 40-byte file/],
    ['too short', new Uint8Array([1, 2, 3]), /too short for a safetensors header/],
    ['header not JSON', handWritten('{"a": [1,', []), /header is not valid UTF-8 JSON/],
    ['header not an object', handWritten('[1,2]', []), /header is not a JSON object/],
    ['unknown dtype', handWritten('{"x":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', [0]), /tensor 'x': unsupported dtype "F8_E4M3"/],
    ['size mismatch', handWritten('{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]), /tensor 'x': F32\[3\] needs 12 bytes but data_offsets span 8/],
    ['bad shape', handWritten('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /tensor 'x': shape \[-1\]/],
    ['overlap', handWritten('{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"y":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', [0, 0, 0]), /tensor 'y' at bytes 1..3 overlaps/],
    ['hole', handWritten('{"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0]), /tensor 'x' at bytes 1..2 leaves a hole of 1 bytes/],
    ['trailing bytes', handWritten('{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0, 0]), /1 data bytes after the last tensor/],
    ['metadata not strings', handWritten('{"__metadata__":{"epoch":3}}', []), /__metadata__.epoch is not a string/],
  ];
  it.each(cases)('%s', async (name, bytes, pattern) => {
    const target = await file(`${name.replace(/ /g, '-')}.safetensors`, bytes);
    await expect(loadSafetensors(target)).rejects.toThrow(pattern);
    await expect(loadSafetensors(target)).rejects.toThrow(target);
  });

  it('a missing file', async () => {
    await expect(loadSafetensors(path.join(dir, 'nope.safetensors'))).rejects.toThrow(/nope.safetensors: cannot open \(ENOENT\)/);
  });

  it('an int64 beyond int32', () => {
    const data = new BigInt64Array([1n, 1n << 40n]);
    expect(() => hostToTensor({ dtype: 'I64', shape: [2], data }, 'position_ids')).toThrow(
      'position_ids: int64 value 1099511627776 at element 1 does not fit in int32',
    );
  });
});

describe('safetensors writing', () => {
  it('round-trips float32, int32 and metadata with the header padded to 8 bytes', async () => {
    const target = path.join(dir, 'nested', 'round.safetensors');
    const weight = tf.tensor2d([[1.5, -2], [3, 1e-30]]);
    const ids = tf.tensor1d([1, -7, 2147483647], 'int32');
    await writeSafetensors(target, { weight, ids }, { metadata: { backbone: 'clip' } });
    const bytes = new Uint8Array(await fs.readFile(target));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const { metadata, tensors } = await loadSafetensors(target);
    expect(metadata).toEqual({ backbone: 'clip' });
    expect(Array.from(tensors.get('weight')!.dataSync())).toEqual(Array.from(weight.dataSync()));
    expect(Array.from(tensors.get('ids')!.dataSync())).toEqual([1, -7, 2147483647]);
    expect((await fs.readdir(path.dirname(target))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces an existing file atomically', async () => {
    const target = path.join(dir, 'replace.safetensors');
    await writeSafetensors(target, { x: tf.scalar(1) });
    await writeSafetensors(target, { x: tf.scalar(2), y: tf.scalar(3) });
    const { tensors } = await loadSafetensors(target);
    expect(tensors.get('x')!.dataSync()[0]).toBe(2);
    expect(tensors.get('y')!.dataSync()[0]).toBe(3);
  });

  it('narrows to F16/BF16 on request', () => {
    const values = tf.tensor1d([1, 0.1, -3.75]);
    const half = parseSafetensors(serializeSafetensors({ v: values }, { floatDtype: 'F16' })).tensors.get('v')!;
    expect(half.dtype).toBe('F16');
    expect(Array.from(half.data as Uint16Array)).toEqual([0x3c00, 0x2e66, 0xc380]);
    const brain = parseSafetensors(serializeSafetensors({ v: values }, { floatDtype: 'BF16' })).tensors.get('v')!;
    expect(Array.from(brain.data as Uint16Array)).toEqual([0x3f80, 0x3dcd, 0xc070]);
  });

  it('refuses the reserved name __metadata__', () => {
    expect(() => serializeSafetensors({ __metadata__: tf.scalar(1) })).toThrow(/reserved/);
  });
});

describe('half precision conversion', () => {
  it('rounds to nearest even and handles the edges', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie → even (0)
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // tie → even (2)
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});
