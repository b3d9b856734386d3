import { CHARMAP_UPPER_HALVES, type CharmapEncoding } from './ftfy-tables';

export type { CharmapEncoding } from './ftfy-tables';

interface Codec {
  /** Byte → character, 256 entries. */
  decode: string[];
  /** Character code unit → byte. */
  encode: Map<number, number>;
}

function buildCodec(upperHalf: string, sloppy: boolean): Codec {
  const decode: string[] = [];
  for (let byte = 0; byte < 128; byte++) decode.push(String.fromCharCode(byte));
  // ftfy's sloppy codecs let byte 0x1A stand for U+FFFD, so lossy mojibake can still be re-encoded.
  if (sloppy) decode[0x1a] = '\ufffd';
  for (const char of upperHalf) decode.push(char);
  const encode = new Map<number, number>();
  decode.forEach((char, byte) => encode.set(char.charCodeAt(0), byte));
  return { decode, encode };
}

const CODECS = new Map<CharmapEncoding, Codec>(
  CHARMAP_UPPER_HALVES.map(([name, upper]) => [name, buildCodec(upper, name.startsWith('sloppy-'))]),
);

/** The encodings ftfy tries, in its order (`chardata.CHARMAP_ENCODINGS`). */
export const CHARMAP_ENCODINGS: readonly CharmapEncoding[] = CHARMAP_UPPER_HALVES.map(([name]) => name);

function codec(encoding: CharmapEncoding): Codec {
  const found = CODECS.get(encoding);
  if (!found) throw new Error(`unknown single-byte encoding ${encoding}`);
  return found;
}

/** Whether every character of `text` is ASCII. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Whether `text` could have been decoded from `encoding` (ftfy `possible_encoding`): every
 * character is one the encoding's bytes decode to. Like ftfy, U+001A is refused in the sloppy
 * codecs, where byte 0x1A stands for U+FFFD.
 */
export function possibleEncoding(text: string, encoding: CharmapEncoding): boolean {
  const { encode } = codec(encoding);
  for (let i = 0; i < text.length; i++) if (!encode.has(text.charCodeAt(i))) return false;
  return true;
}

/** Encode text the encoding can represent into bytes (Python `text.encode(encoding)`). */
export function encodeSingleByte(text: string, encoding: CharmapEncoding): Uint8Array {
  const { encode } = codec(encoding);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const byte = encode.get(text.charCodeAt(i));
    if (byte === undefined) throw new Error(`character U+${text.charCodeAt(i).toString(16)} is not in ${encoding}`);
    bytes[i] = byte;
  }
  return bytes;
}

/** Decode bytes with a single-byte codec (every byte is defined). */
export function decodeSingleByte(bytes: Uint8Array, encoding: CharmapEncoding): string {
  const { decode } = codec(encoding);
  let out = '';
  for (const byte of bytes) out += decode[byte] as string;
  return out;
}

/** Bytes 0x80–0x9F that strict Windows-1252 leaves undefined (Python raises on them). */
const WINDOWS_1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** Python's strict `bytes.decode('windows-1252')`: undefined when a byte has no character. */
export function decodeWindows1252Strict(bytes: Uint8Array): string | undefined {
  const { decode } = codec('sloppy-windows-1252');
  let out = '';
  for (const byte of bytes) {
    if (WINDOWS_1252_UNDEFINED.has(byte)) return undefined;
    // The sloppy table's U+FFFD for byte 0x1A is ftfy's invention; strict Windows-1252 keeps the control.
    out += byte === 0x1a ? '\x1a' : (decode[byte] as string);
  }
  return out;
}
