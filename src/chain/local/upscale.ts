// Subtensor's u16 weight arithmetic (pallets/subtensor/src/epoch/math.rs), reproduced bit for bit in
// I32F32 fixed point (64-bit raw value, 32 fractional bits) with BigInt.
const FRAC = 32n;
const ONE = 1n << FRAC;
const I64_MAX = (1n << 63n) - 1n;
const U16_MAX = 65535n;

const fixed = (n: number | bigint): bigint => BigInt(n) << FRAC;
const saturate = (raw: bigint): bigint => (raw > I64_MAX ? I64_MAX : raw);
/** Fixed multiply (floor) and divide (floor) for non-negative values. */
const mul = (a: bigint, b: bigint): bigint => saturate((a * b) >> FRAC);
const div = (a: bigint, b: bigint): bigint => (b === 0n ? 0n : saturate((a << FRAC) / b));
/** Round half away from zero, then to an integer. */
const round = (raw: bigint): bigint => (raw + ONE / 2n) >> FRAC;
const toU16 = (n: bigint): number => Number(n > U16_MAX ? U16_MAX : n);

/** vec_u16_max_upscale_to_u16: scale so the largest value becomes 65535. */
export function maxUpscaleU16(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const max = values.reduce((a, b) => Math.max(a, b), 0);
  const u16Max = fixed(U16_MAX);
  if (max === 0) return values.map((e) => toU16(mul(fixed(e), u16Max) >> FRAC));
  if (max > 32768) {
    const factor = div(u16Max, fixed(max));
    return values.map((e) => toU16(round(mul(fixed(e), factor))));
  }
  return values.map((e) => toU16(round(div(mul(fixed(e), u16Max), fixed(max)))));
}

/** check_vec_max_limited: after normalising to sum 1, no value exceeds maxLimit / 65535. */
export function maxLimited(values: readonly number[], maxLimit: number): boolean {
  const limit = div(fixed(maxLimit), fixed(U16_MAX));
  const sum = values.reduce((a, b) => a + BigInt(b), 0n);
  if (sum === 0n) return values.every(() => 0n <= limit);
  return values.every((e) => div(fixed(e), fixed(sum)) <= limit);
}
