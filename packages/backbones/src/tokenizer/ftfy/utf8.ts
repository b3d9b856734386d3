/**
 * UTF-8 helpers of the ftfy port. Byte-level regular expressions run on "binary strings" (one
 * character per byte, U+0000–U+00FF), the closest JavaScript has to Python's `bytes` patterns.
 */

// ignoreBOM keeps a leading U+FEFF, as Python's 'utf-8' codec does.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes → binary string (one character per byte). */
export function bytesToBinary(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

/** Binary string → bytes. */
export function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i) & 0xff;
  return bytes;
}

/** Python's strict `bytes.decode('utf-8')`: undefined where Python raises UnicodeDecodeError. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function isCesu8Pair(bytes: Uint8Array, i: number): boolean {
  if (i + 6 > bytes.length) return false;
  const at = (k: number): number => bytes[i + k] as number;
  return (
    at(0) === 0xed && at(1) >= 0xa0 && at(1) <= 0xaf && at(2) >= 0x80 && at(2) <= 0xbf &&
    at(3) === 0xed && at(4) >= 0xb0 && at(4) <= 0xbf && at(5) >= 0x80 && at(5) <= 0xbf
  );
}

/**
 * ftfy's 'utf-8-variants' codec: standard UTF-8 plus CESU-8 surrogate pairs (UTF-16 encoded as
 * UTF-8) and Java's two-byte NUL (C0 80). Anything else invalid makes it fail, like Python.
 */
export function decodeUtf8Variants(bytes: Uint8Array): string | undefined {
  let out = '';
  let segmentStart = 0;
  let i = 0;
  const flush = (end: number): boolean => {
    if (end <= segmentStart) return true;
    const decoded = decodeUtf8Strict(bytes.subarray(segmentStart, end));
    if (decoded === undefined) return false;
    out += decoded;
    return true;
  };
  while (i < bytes.length) {
    if (bytes[i] === 0xc0 && bytes[i + 1] === 0x80) {
      if (!flush(i)) return undefined;
      out += '\u0000';
      i += 2;
      segmentStart = i;
    } else if (isCesu8Pair(bytes, i)) {
      if (!flush(i)) return undefined;
      const b = (k: number): number => bytes[i + k] as number;
      const codePoint = ((b(1) & 0x0f) << 16) + ((b(2) & 0x3f) << 10) + ((b(4) & 0x0f) << 6) + (b(5) & 0x3f) + 0x10000;
      out += String.fromCodePoint(codePoint);
      i += 6;
      segmentStart = i;
    } else {
      i += 1;
    }
  }
  return flush(bytes.length) ? out : undefined;
}

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, which Python would refuse to encode). */
export function encodeUtf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
