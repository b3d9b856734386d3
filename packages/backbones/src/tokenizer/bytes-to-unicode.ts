/**
 * GPT-2/CLIP's reversible map from the 256 byte values to printable characters: printable Latin-1
 * bytes map to themselves, the others to U+0100 upwards, so BPE never sees whitespace or controls.
 * Index = byte, value = character; the order of the first 256 vocabulary entries.
 */
export const BYTE_ENCODER: readonly string[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Array<string>(256);
  for (const b of printable) map[b] = String.fromCharCode(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === undefined) map[b] = String.fromCharCode(256 + next++);
  }
  return map;
})();

/** The 256 byte characters in open_clip's vocabulary order (`bytes_to_unicode().values()`). */
export const BYTE_VOCABULARY: readonly string[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) rest.push(b);
  return [...printable, ...rest].map((b) => BYTE_ENCODER[b] as string);
})();

/** Character → byte, the inverse of BYTE_ENCODER. */
export const BYTE_DECODER: ReadonlyMap<string, number> = new Map(BYTE_ENCODER.map((char, byte) => [char, byte]));

const utf8 = new TextEncoder();

/** A pre-token as BPE sees it: its UTF-8 bytes spelled with BYTE_ENCODER characters. */
export function byteEncode(token: string): string {
  let out = '';
  for (const byte of utf8.encode(token)) out += BYTE_ENCODER[byte] as string;
  return out;
}
