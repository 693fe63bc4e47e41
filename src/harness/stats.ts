// Descriptive statistics for latency samples. Pure functions, no I/O.
//
// Percentiles use linear interpolation between closest ranks (Hyndman & Fan type 7, the default of
// numpy.percentile and R's quantile): for n sorted samples x[0..n-1] and q in [0,1], h = (n-1)·q and
// Q(q) = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]). The median is Q(0.5), the usual median.
//
// The confidence interval of the median is a percentile bootstrap: `resamples` resamples of the
// samples with replacement, drawn from a seeded PRNG (mulberry32) so a report is reproducible; the
// interval is the (α/2, 1-α/2) type-7 quantiles of the resampled medians.

/** Rounds to 3 decimals (µs for a value in ms), as reports store times. */
export const round3 = (x: number) => Math.round(x * 1000) / 1000;

export interface Summary {
  n: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface MedianCi {
  lo: number;
  hi: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  resamples: number;
  seed: number;
}

/** mulberry32: a small, fast, seedable 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function ascending(xs: readonly number[]): number[] {
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`sample ${x} is not finite`);
  return Array.from(Float64Array.from(xs).sort());
}

/** Type-7 quantile of an already ascending-sorted array; null when it is empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in [0, 1]`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  if (lo + 1 >= n) return a;
  const b = sorted[lo + 1] as number;
  return a + (h - lo) * (b - a);
}

/** Type-7 quantile of unsorted samples. */
export function quantile(xs: readonly number[], q: number): number | null {
  return quantileSorted(ascending(xs), q);
}

export function median(xs: readonly number[]): number | null {
  return quantile(xs, 0.5);
}

export function summarize(xs: readonly number[]): Summary {
  const s = ascending(xs);
  return {
    n: s.length,
    mean: mean(s),
    min: s.length > 0 ? (s[0] as number) : null,
    max: s.length > 0 ? (s[s.length - 1] as number) : null,
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
  };
}

/**
 * Percentile-bootstrap confidence interval of the median. Deterministic for a given seed. Null for
 * no samples; a single sample gives the degenerate interval [x, x].
 */
export function bootstrapMedianCi(
  xs: readonly number[],
  opts: { level?: number; resamples?: number; seed?: number } = {},
): MedianCi | null {
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 2000;
  const seed = opts.seed ?? 1;
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level ${level} is not in (0, 1)`);
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  const n = xs.length;
  if (n === 0) return null;
  const rand = mulberry32(seed);
  const sample = new Float64Array(n);
  const medians = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = xs[Math.floor(rand() * n)] as number;
    sample.sort();
    medians[r] = quantileSorted(sample, 0.5) as number;
  }
  medians.sort();
  const alpha = 1 - level;
  return {
    lo: quantileSorted(medians, alpha / 2) as number,
    hi: quantileSorted(medians, 1 - alpha / 2) as number,
    level,
    resamples,
    seed,
  };
}
