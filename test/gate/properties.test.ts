import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareRequest,
  DEFAULT_GATE_THRESHOLDS,
  GateMarginsSchema,
  type GateOutput,
  GateResultSchema,
  type GateThresholds,
  type GateToken,
  gateMargins,
  gateVerdict,
} from "../../src/gate/index.js";
import { copy, greedyOutput, out, req, tok, toks } from "./fixtures.js";

const D = DEFAULT_GATE_THRESHOLDS;
const thresholds: fc.Arbitrary<GateThresholds> = fc
  .record({
    tieGap: fc.double({ min: 0, max: 2, noNaN: true }),
    tolerance: fc.double({ min: 0, max: 1, noNaN: true }),
    maxOffShare: fc.double({ min: 0, max: 1, noNaN: true }),
    maxError: fc.double({ min: 0, max: 2, noNaN: true }),
    maxMean: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ tieGap, ...logprobs }) => ({ ...D, tieGap, logprobs }));

/** Each threshold at its stricter (or looser) of a and b. */
function bound(a: GateThresholds, b: GateThresholds, strict: boolean): GateThresholds {
  const lo = strict ? Math.min : Math.max;
  const hi = strict ? Math.max : Math.min;
  return {
    ...D,
    tieGap: lo(a.tieGap, b.tieGap),
    logprobs: {
      tolerance: lo(a.logprobs.tolerance, b.logprobs.tolerance),
      maxOffShare: lo(a.logprobs.maxOffShare, b.logprobs.maxOffShare),
      maxError: lo(a.logprobs.maxError, b.logprobs.maxError),
      maxMean: lo(a.logprobs.maxMean, b.logprobs.maxMean),
    },
    control: { ...D.control, minTokens: hi(a.control.minTokens, b.control.minTokens) },
  };
}

/** The same position with its runner-up generated instead (the top list reordered to match). */
function runnerUp(t: GateToken): GateToken {
  const [first, second, ...rest] = t.top;
  if (!first || !second) throw new Error("top list too short");
  return { ...second, top: [second, first, ...rest] };
}

function respell(o: GateOutput): GateOutput {
  o.text = toks(o)
    .map((t) => t.token)
    .join("");
  return o;
}

/** A candidate made from a reference by one change a faulty or cheating server might make. */
const mutant = (ref: GateOutput) => {
  const n = toks(ref).length;
  const at = fc.nat({ max: Math.max(0, n - 1) });
  return fc.oneof(
    fc.constant(copy(ref)),
    fc.tuple(at, fc.double({ min: -1, max: 1, noNaN: true })).map(([k, d]) => {
      const c = copy(ref);
      const t = toks(c)[k];
      if (t) {
        t.logprob += d;
        (t.top[0] as GateToken["top"][number]).logprob += d;
      }
      return c;
    }),
    at.map((k) => {
      const c = copy(ref);
      if (k < n) toks(c).splice(k, n, runnerUp(toks(ref)[k] as GateToken));
      return respell(c);
    }),
    at.map((k) => respell({ ...copy(ref), tokens: toks(copy(ref)).slice(0, k) })),
    at.map((k) => {
      const c = copy(ref);
      if (k < n) toks(c)[k] = tok(" zebra", -0.01);
      return respell(c);
    }),
    fc.constant(null).map(() => {
      const c = copy(ref);
      for (const t of toks(c)) {
        t.logprob = 0;
        for (const e of t.top) e.logprob = 0;
      }
      return c;
    }),
  );
};

const pair = greedyOutput.chain((ref) => fc.tuple(fc.constant(ref), mutant(ref)));

describe("gate properties", () => {
  it("a request compared with itself always matches with zero error", () => {
    fc.assert(
      fc.property(greedyOutput, thresholds, fc.boolean(), (o, t, fixed) => {
        const n = toks(o).length;
        const v = compareRequest(
          req(o, copy(o), { maxTokens: Math.max(1, n), fixedLength: fixed && n > 0 }),
          t,
        );
        expect(v).toMatchObject({
          status: "match",
          matchedTokens: n,
          comparedTokens: n,
          maxLogprobError: 0,
          sumLogprobError: 0,
        });
        expect(gateVerdict([v], t, { final: true }).passed).toBe(true);
      }),
    );
  });

  it("taking the runner-up forks exactly when its gap is within tieGap", () => {
    fc.assert(
      fc.property(
        greedyOutput.filter((o) => toks(o).length > 0),
        fc.nat(),
        thresholds,
        (ref, k, t) => {
          const p = k % toks(ref).length;
          const r = toks(ref)[p] as GateToken;
          const cand = respell({
            ...copy(ref),
            tokens: [...toks(copy(ref)).slice(0, p), runnerUp(r)],
          });
          const v = compareRequest(req(ref, cand), t);
          const gap = r.logprob - (r.top[1] as GateToken["top"][number]).logprob;
          expect(v.divergence?.gap).toBe(gap);
          expect(v.status).toBe(gap <= t.tieGap ? "forked" : "fail");
          if (v.fork) expect(v.fork).toMatchObject({ position: p, judgedBy: "reference" });
          expect(v.matchedTokens).toBe(p);
        },
      ),
    );
  });

  it("a logprob error is measured exactly, and all-zero logprobs are off by the lowest entry", () => {
    fc.assert(
      fc.property(
        greedyOutput.filter((o) => toks(o).length > 0),
        fc.nat(),
        fc.double({ min: -2, max: 2, noNaN: true }),
        (ref, k, d) => {
          const c = copy(ref);
          const t = toks(c)[k % toks(c).length] as GateToken;
          const before = t.logprob;
          t.logprob += d;
          (t.top[0] as GateToken["top"][number]).logprob += d;
          const v = compareRequest(req(ref, c), {
            ...D,
            logprobs: { ...D.logprobs, maxError: 9 },
          });
          expect(v.maxLogprobError).toBe(Math.abs(t.logprob - before));

          const zero = copy(ref);
          for (const z of toks(zero)) for (const e of [z, ...z.top]) e.logprob = 0;
          const vz = compareRequest(req(ref, zero), {
            ...D,
            logprobs: { ...D.logprobs, maxError: 99 },
          });
          const worst = Math.max(...toks(ref).flatMap((x) => x.top.map((e) => -e.logprob)));
          expect(vz.maxLogprobError).toBe(worst);
        },
      ),
    );
  });

  it("loosening any threshold never turns a pass into a fail", () => {
    fc.assert(
      fc.property(
        fc.array(pair, { minLength: 1, maxLength: 4 }),
        thresholds,
        thresholds,
        (pairs, a, b) => {
          const tight = bound(a, b, true);
          const loose = bound(a, b, false);
          const judge = (t: GateThresholds) =>
            pairs.map(([ref, cand], i) => compareRequest(req(ref, cand, { id: `gate:${i}` }), t));
          const vt = judge(tight);
          const vl = judge(loose);
          vt.forEach((v, i) => {
            if (v.status !== "fail") expect(vl[i]?.status).not.toBe("fail");
          });
          if (gateVerdict(vt, tight).passed) expect(gateVerdict(vl, loose).passed).toBe(true);
        },
      ),
    );
  });

  it("results are plain JSON that their schemas read back, and a gate's counts add up", () => {
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 4 }), (pairs) => {
        const vs = pairs.map(([ref, cand], i) =>
          compareRequest(req(ref, cand, { id: `gate:${i}` }), DEFAULT_GATE_THRESHOLDS),
        );
        const g = gateVerdict(vs, DEFAULT_GATE_THRESHOLDS);
        expect(GateResultSchema.parse(JSON.parse(JSON.stringify(g)))).toEqual(g);
        const m = gateMargins(g, DEFAULT_GATE_THRESHOLDS);
        expect(GateMarginsSchema.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
        const { matched, forked, tolerated, failed } = g.counts;
        expect(matched + forked + tolerated + failed).toBe(vs.length);
        for (const v of vs) {
          expect(v.matchedTokens).toBeLessThanOrEqual(v.comparedTokens);
          expect(v.comparedTokens).toBeLessThanOrEqual(v.referenceTokens);
          expect(v.status === "fail").toBe(v.reason !== undefined);
        }
        expect(g.passed).toBe(g.reasons.length === 0);
      }),
    );
  });
});

describe("gate at scale", () => {
  it("judges 2000 requests × 256 tokens × 20 top_logprobs (its time: bench/gate-speed)", () => {
    const words = Array.from({ length: 400 }, (_, i) => ` w${i}`);
    const position = (i: number): GateToken =>
      tok(
        words[i % 400] as string,
        -0.01 * (i % 7),
        Array.from({ length: 19 }, (_, k) => [words[(i + k + 1) % 400] as string, -1 - k * 0.5]),
      );
    // 1024 distinct positions, each built twice (no shared objects between the two sides).
    const refPool = Array.from({ length: 1024 }, (_, i) => position(i));
    const candPool = Array.from({ length: 1024 }, (_, i) => position(i));
    const reqs = Array.from({ length: 2000 }, (_, r) => {
      const at = (pool: GateToken[]) =>
        Array.from({ length: 256 }, (_, i) => pool[(r * 7 + i) % 1024] as GateToken);
      return req(out(at(refPool), "length"), out(at(candPool), "length"), {
        id: `throughput:${r}`,
        maxTokens: 256,
        fixedLength: true,
      });
    });
    const g = gateVerdict(
      reqs.map((r) => compareRequest(r, DEFAULT_GATE_THRESHOLDS)),
      DEFAULT_GATE_THRESHOLDS,
    );
    expect(g.passed).toBe(true);
    expect(g.counts.matchedTokens).toBe(512_000);
  });
});
