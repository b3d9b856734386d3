import { promises as fs } from 'node:fs';
import zlib from 'node:zlib';

/**
 * Test support: a minimal zip writer (stored or deflated entries, no data descriptors) to build
 * PyTorch-style archives in tests. Not part of the package build.
 */
export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Deflate the entry (PyTorch never does; re-zipping tools may). Default: false. */
  deflate?: boolean;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function zipBytes(entries: readonly ZipInput[]): Uint8Array {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const stored = entry.deflate ? zlib.deflateRawSync(entry.data) : Buffer.from(entry.data);
    const crc = crc32(entry.data);
    const method = entry.deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0, 10);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(0, 12);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(stored.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    chunks.push(local, name, stored);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...chunks, directory, end]));
}

export async function writeZip(file: string, entries: readonly ZipInput[]): Promise<void> {
  await fs.writeFile(file, zipBytes(entries));
}

/** A `torch.save`-style archive: `<prefix>/data.pkl`, `<prefix>/data/<key>` per storage, `<prefix>/version`. */
export async function writeTorchArchive(
  file: string,
  options: { prefix?: string; pickle: Uint8Array; storages: Record<string, Uint8Array>; extra?: Record<string, Uint8Array>; deflate?: boolean },
): Promise<void> {
  const prefix = options.prefix ?? 'archive';
  const entries: ZipInput[] = [{ name: `${prefix}/data.pkl`, data: options.pickle, deflate: options.deflate }];
  for (const [key, data] of Object.entries(options.storages)) entries.push({ name: `${prefix}/data/${key}`, data, deflate: options.deflate });
  entries.push({ name: `${prefix}/version`, data: new TextEncoder().encode('3\n') });
  for (const [name, data] of Object.entries(options.extra ?? {})) entries.push({ name: `${prefix}/${name}`, data });
  await writeZip(file, entries);
}

/** Little-endian bytes of typed values. */
export function bytesOf(values: Float32Array | Uint16Array | Float64Array | BigInt64Array | Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
}
