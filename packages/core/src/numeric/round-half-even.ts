/**
 * Python's `round(x, digits)` for floats: the decimal nearest to the EXACT binary value of `x`,
 * exact ties to even (46.875 → 46.88, but 90.625 → 90.62 and 53.125 → 53.12, where
 * `toFixed(2)` and `Math.round(x·100)/100` both give 90.63 / 53.13), then read back as the
 * nearest double. Works with integer arithmetic on the double's mantissa and exponent, so no
 * intermediate rounding can move a value across a tie.
 */

const bits = new DataView(new ArrayBuffer(8));

/** x = mantissa · 2^exponent exactly, mantissa an integer (sign kept apart). */
function exactBinary(value: number): { negative: boolean; mantissa: bigint; exponent: number } {
  bits.setFloat64(0, value);
  const high = bits.getUint32(0);
  const low = bits.getUint32(4);
  const negative = high >>> 31 === 1;
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  // Subnormals have no implicit leading one and the minimum exponent.
  if (biased === 0) return { negative, mantissa: fraction, exponent: -1074 };
  return { negative, mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/**
 * The integer q nearest to x·10^digits (ties to even) as a decimal string with its sign, so
 * that x rounds to q·10^−digits. `digits` may be negative (rounding to tens, hundreds, ...).
 */
function scaledHalfEven(value: number, digits: number): { sign: string; digitsOfQ: string } {
  const { negative, mantissa, exponent } = exactBinary(value);
  // x·10^digits = numerator / denominator exactly.
  let numerator = mantissa;
  let denominator = 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  if (digits >= 0) numerator *= 10n ** BigInt(digits);
  else denominator *= 10n ** BigInt(-digits);
  let quotient = numerator / denominator;
  const twiceRemainder = 2n * (numerator % denominator);
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) quotient += 1n;
  return { sign: negative ? '-' : '', digitsOfQ: quotient.toString() };
}

function checkDigits(digits: number): void {
  if (!Number.isInteger(digits) || Math.abs(digits) > 400) throw new RangeError(`roundHalfEven: digits must be an integer in [-400, 400], got ${digits}`);
}

/**
 * Python `round(value, digits)`: correctly rounded from the exact binary value, ties to even.
 * `digits` defaults to 0 (an integer, as torchvision's `round(...)` of crop sizes and offsets);
 * like Python's `round(x, 0)` a negative value may round to −0.
 */
export function roundHalfEven(value: number, digits = 0): number {
  checkDigits(digits);
  if (!Number.isFinite(value)) return value;
  const { sign, digitsOfQ } = scaledHalfEven(value, digits);
  // JavaScript's string → number conversion is correctly rounded, like Python's float(str).
  return Number(`${sign}${digitsOfQ}e${-digits}`);
}

/**
 * `value` rounded half-even to `digits` decimals (digits ≥ 0) and written with exactly that many
 * decimals: the string a report prints (`formatHalfEven(90.625, 2)` is "90.62", never "90.63").
 */
export function formatHalfEven(value: number, digits: number): string {
  checkDigits(digits);
  if (digits < 0) throw new RangeError(`formatHalfEven: digits must be ≥ 0, got ${digits}`);
  if (!Number.isFinite(value)) return String(value);
  const { sign, digitsOfQ } = scaledHalfEven(value, digits);
  const padded = digitsOfQ.padStart(digits + 1, '0');
  const integerPart = padded.slice(0, padded.length - digits);
  const text = digits === 0 ? integerPart : `${integerPart}.${padded.slice(padded.length - digits)}`;
  // Python prints round(-0.001, 2) as -0.0; a report reads better without the negative zero.
  return /^[0.]+$/.test(text) ? text : `${sign}${text}`;
}
