import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BYTES_PER_ELEMENT, isSafetensorsDtype, viewAs, type SafetensorsDtype } from './dtype';
import { elementCount, hostToTensor, tensorToHost, type HostTensor } from './host-tensor';
import { writeFileAtomic } from './write-file-atomic';

/** Where one tensor lies in the file, as its header says. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range inside the data section (after the header). */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Free-form string pairs stored under `__metadata__`. */
  metadata: Record<string, string>;
  /** Tensors in file order. */
  entries: SafetensorsEntry[];
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

/** A malformed or unreadable safetensors file; the message names the file and the offending tensor. */
export class SafetensorsError extends Error {
  constructor(readonly source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** Headers beyond this size are refused, as the reference implementation does. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Validate a header against the size of the data section: known dtypes, non-negative integer
 * shapes, byte ranges that match shape × element size and tile the data section without holes
 * or overlaps, string metadata.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  source: string,
): Omit<SafetensorsHeader, 'dataStart'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new SafetensorsError(source, `header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError(source, 'header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SafetensorsError(source, '__metadata__ must be an object of strings');
      }
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (typeof item !== 'string') throw new SafetensorsError(source, `__metadata__.${key} is not a string`);
        metadata[key] = item;
      }
      continue;
    }
    entries.push(parseEntry(name, value, source));
  }
  const sorted = [...entries].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  for (const entry of sorted) {
    const [begin, end] = entry.dataOffsets;
    if (begin !== cursor) {
      const what = begin < cursor ? 'overlaps the previous tensor' : `leaves a hole of ${begin - cursor} bytes before it`;
      throw new SafetensorsError(source, `tensor '${entry.name}' at bytes ${begin}..${end} ${what}`);
    }
    cursor = end;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(
      source,
      cursor > dataLength
        ? `file is truncated: tensors need ${cursor} data bytes but only ${dataLength} are present`
        : `${dataLength - cursor} data bytes after the last tensor are not described by the header`,
    );
  }
  return { metadata, entries };
}

function parseEntry(name: string, value: unknown, source: string): SafetensorsEntry {
  const fail = (message: string): never => {
    throw new SafetensorsError(source, `tensor '${name}': ${message}`);
  };
  if (typeof value !== 'object' || value === null) return fail('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) return fail(`unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not an increasing pair of byte offsets`);
  }
  const expected = elementCount(shape as number[]) * BYTES_PER_ELEMENT[dtype];
  const [begin, end] = offsets as [number, number];
  if (end - begin !== expected) {
    return fail(`${dtype}[${shape.join(',')}] needs ${expected} bytes but data_offsets span ${end - begin}`);
  }
  return { name, dtype, shape: shape as number[], dataOffsets: [begin, end] };
}

function readHeaderLength(prefix: Uint8Array, fileLength: number, source: string): number {
  if (fileLength < 8) throw new SafetensorsError(source, `file is ${fileLength} bytes, too short for a safetensors header`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(source, `header length ${length} exceeds ${MAX_HEADER_BYTES} bytes`);
  if (Number(length) > fileLength - 8) {
    throw new SafetensorsError(source, `header length ${length} runs past the end of the ${fileLength}-byte file (truncated?)`);
  }
  return Number(length);
}

/** Read only the header of a file: listing the tensors of a large checkpoint never reads its data. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await openForReading(file);
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    await handle.read(prefix, 0, Math.min(8, size), 0);
    const headerLength = readHeaderLength(prefix, size, file);
    const headerBytes = new Uint8Array(headerLength);
    await handle.read(headerBytes, 0, headerLength, 8);
    const header = parseSafetensorsHeader(headerBytes, size - 8 - headerLength, file);
    return { ...header, dataStart: 8 + headerLength };
  } finally {
    await handle.close();
  }
}

async function openForReading(file: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, 'r');
  } catch (error) {
    throw new SafetensorsError(file, `cannot open (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export interface ReadSafetensorsOptions {
  /** Read only the tensors whose names pass this test. Default: all. */
  filter?: (name: string) => boolean;
}

export interface SafetensorsContents<T> {
  metadata: Record<string, string>;
  tensors: Map<string, T>;
}

/** Read tensors in their file dtype, each straight from its byte range. */
export async function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): Promise<SafetensorsContents<HostTensor>> {
  const header = await readSafetensorsHeader(file);
  const handle = await openForReading(file);
  try {
    const tensors = new Map<string, HostTensor>();
    for (const entry of header.entries) {
      if (options.filter && !options.filter(entry.name)) continue;
      const [begin, end] = entry.dataOffsets;
      const bytes = new Uint8Array(end - begin);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, header.dataStart + begin);
      if (bytesRead !== bytes.length) throw new SafetensorsError(file, `tensor '${entry.name}': short read (file changed while reading?)`);
      tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data: viewAs(entry.dtype, bytes) });
    }
    return { metadata: header.metadata, tensors };
  } finally {
    await handle.close();
  }
}

/** Read a file into tfjs tensors (floats as float32, integers as int32). The caller owns the tensors. */
export async function loadSafetensors(file: string, options: ReadSafetensorsOptions = {}): Promise<SafetensorsContents<tf.Tensor>> {
  const { metadata, tensors } = await readSafetensors(file, options);
  return { metadata, tensors: hostMapToTensors(tensors, file) };
}

/** Parse a whole safetensors buffer held in memory. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors buffer'): SafetensorsContents<HostTensor> {
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.length, source);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.length - 8 - headerLength, source);
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, HostTensor>();
  for (const entry of header.entries) {
    const [begin, end] = entry.dataOffsets;
    // slice() copies into a fresh, aligned buffer.
    const copy = bytes.slice(dataStart + begin, dataStart + end);
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data: viewAs(entry.dtype, copy) });
  }
  return { metadata: header.metadata, tensors };
}

function hostMapToTensors(hosts: Map<string, HostTensor>, source: string): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  try {
    for (const [name, host] of hosts) out.set(name, hostToTensor(host, `${source}: ${name}`));
  } catch (error) {
    for (const tensor of out.values()) tensor.dispose();
    throw error;
  }
  return out;
}

export type TensorSource = tf.Tensor | HostTensor;

export interface SerializeOptions {
  /** String pairs stored under `__metadata__`. */
  metadata?: Record<string, string>;
  /** Store float32 tensors in this dtype instead (e.g. `F16` halves the file). */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

/** Encode tensors as a safetensors buffer, header padded to 8 bytes, in the order given. */
export function serializeSafetensors(
  tensors: Map<string, TensorSource> | Record<string, TensorSource>,
  options: SerializeOptions = {},
): Uint8Array {
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const hosts = items.map(([name, tensor]): [string, HostTensor] => {
    if (name === '__metadata__') throw new Error(`'__metadata__' is reserved and cannot name a tensor`);
    if (tensor instanceof tf.Tensor) {
      const dtype = tensor.dtype === 'float32' ? options.floatDtype : undefined;
      return [name, tensorToHost(tensor, dtype)];
    }
    return [name, tensor];
  });
  const header: Record<string, unknown> = {};
  if (options.metadata && Object.keys(options.metadata).length > 0) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const [name, host] of hosts) {
    const bytes = host.data.byteLength;
    if (bytes !== elementCount(host.shape) * BYTES_PER_ELEMENT[host.dtype]) {
      throw new Error(`tensor '${name}': ${bytes} bytes of data do not match ${host.dtype}[${host.shape.join(',')}]`);
    }
    header[name] = { dtype: host.dtype, shape: host.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerLength = encoder.encode(json).length;
  const padding = (8 - (headerLength % 8)) % 8;
  json += ' '.repeat(padding);
  headerLength += padding;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(encoder.encode(json), 8);
  let cursor = 8 + headerLength;
  for (const [, host] of hosts) {
    out.set(new Uint8Array(host.data.buffer, host.data.byteOffset, host.data.byteLength), cursor);
    cursor += host.data.byteLength;
  }
  return out;
}

/** Write tensors to a safetensors file atomically: a crash leaves the old file or the new one, never a torn one. */
export async function writeSafetensors(
  file: string,
  tensors: Map<string, TensorSource> | Record<string, TensorSource>,
  options: SerializeOptions = {},
): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomic(file, serializeSafetensors(tensors, options));
}
