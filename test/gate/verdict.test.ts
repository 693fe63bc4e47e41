import { describe, expect, it } from "vitest";
import {
  compareRequest,
  DEFAULT_GATE_THRESHOLDS,
  explainRequest,
  type GateRequest,
  type GateThresholds,
  type GateToken,
  gateMargins,
  gateVerdict,
  RequestVerdictSchema,
} from "../../src/gate/index.js";
import { copy, out, req, tok, toks } from "./fixtures.js";

const T: GateThresholds = {
  ...DEFAULT_GATE_THRESHOLDS,
  tieGap: 0.125,
  logprobs: { tolerance: 0.125, maxOffShare: 0.5, maxError: 0.5, maxMean: 0.0625 },
};
const logprobs = (l: Partial<GateThresholds["logprobs"]>): GateThresholds => ({
  ...T,
  logprobs: { ...T.logprobs, ...l },
});

/** Four tokens; position 1 is a near-tie (gap 0.0625), position 2 is clear. */
function four(): GateToken[] {
  return [
    tok("a", -0.5, [["b", -2]]),
    tok("c", -0.25, [["d", -0.3125]]),
    tok("e", -0.125, [["f", -3]]),
    tok("g", -1, [["h", -2]]),
  ];
}
const ref = out(four());

function withToken(i: number, t: GateToken): GateRequest["candidate"] {
  const c = copy(ref);
  toks(c)[i] = t;
  c.text = toks(c)
    .map((x) => x.token)
    .join("");
  return c;
}

const identical = (id: string) => compareRequest(req(ref, copy(ref), { id }), T);
const diverged = (id: string) => compareRequest(req(ref, withToken(2, tok("f", -3)), { id }), T);
const forked = (id: string) => compareRequest(req(ref, withToken(1, tok("d", -0.3)), { id }), T);

describe("gateVerdict", () => {
  it("passes when every request matches", () => {
    const g = gateVerdict([identical("gate:0"), identical("gate:1")], T);
    expect(g).toMatchObject({
      passed: true,
      reasons: [],
      counts: {
        requests: 2,
        matched: 2,
        forked: 0,
        tolerated: 0,
        failed: 0,
        referenceTokens: 8,
        logprobTokens: 8,
      },
      matchedFraction: 1,
      maxLogprobError: 0,
      meanLogprobError: 0,
      failures: {},
    });
    expect(g.verdicts).toHaveLength(2);
  });

  it("counts forks; they pass the gate pass's early verdict, and fail the final one unjudged", () => {
    const vs = [identical("gate:0"), forked("gate:1")];
    const g = gateVerdict(vs, T);
    expect(g.passed).toBe(true);
    expect(g.counts).toMatchObject({ matched: 1, forked: 1, matchedTokens: 5 });
    expect(g.toleratedDivergences).toBe(1);
    expect(g.matchedFraction).toBe(5 / 8); // informational: no rule on it any more
    expect(g.largestToleratedGap).toBe(0.0625);
    const final = gateVerdict(vs, T, { final: true });
    expect(final.passed).toBe(false);
    expect(final.reasons).toEqual([
      "1 of 2 requests forked from the reference and were never scored by the teacher",
    ]);
  });

  it("names how many requests failed for each reason and the first of them", () => {
    const vs = [identical("gate:0"), diverged("gate:3"), diverged("gate:7")];
    vs.push(compareRequest(req(ref, { failure: "timed out after 30 s" }, { id: "gate:9" }), T));
    const g = gateVerdict(vs, T);
    expect(g.passed).toBe(false);
    expect(g.failures).toEqual({ divergence: 2, request_failed: 1 });
    expect(g.reasons).toEqual([
      "1 of 4 requests failed; first: gate:9: the request failed: timed out after 30 s",
      '2 of 4 requests diverged from the reference outside the tie gap; first: gate:3 at token 2: token 2: the candidate chose "f" where the reference chose "e"; it is 2.875 below the reference\'s top-1, more than the tie gap 0.125',
    ]);
    expect(g.matchedFraction).toBe(8 / 16);
    expect(g.smallestRejectedGap).toBe(2.875);
  });

  it("fails with no requests", () => {
    const g = gateVerdict([], T);
    expect(g.passed).toBe(false);
    expect(g.reasons).toEqual(["the gate compared no requests"]);
  });

  it("applies the mean error limit at its edge", () => {
    // Every token's chosen logprob off by 0.0625: the mean equals the limit.
    const c = copy(ref);
    for (const t of toks(c)) {
      t.logprob -= 0.0625;
      (t.top[0] as GateToken["top"][number]).logprob -= 0.0625;
    }
    const v = compareRequest(req(ref, c), T);
    expect(v.sumLogprobError).toBe(0.25);
    expect(gateVerdict([v], T).passed).toBe(true);
    const g = gateVerdict([v], logprobs({ maxMean: 0.0624 }));
    expect(g.reasons).toEqual(["the mean token logprob error 0.0625 over 4 tokens exceeds 0.0624"]);
  });

  it("allows a tail of off tokens up to its share", () => {
    // One token of four off by 0.25 (above the tolerance 0.125): a share of 25 %.
    const c = copy(ref);
    (toks(c)[3] as GateToken).logprob = -1.25;
    const v = compareRequest(req(ref, c), T);
    expect(v.offLogprobTokens).toBe(1);
    const wide = logprobs({ maxOffShare: 0.25, maxMean: 1 });
    expect(gateVerdict([v], wide)).toMatchObject({ passed: true, offLogprobShare: 0.25 });
    expect(gateVerdict([v], logprobs({ maxOffShare: 0.24, maxMean: 1 })).reasons).toEqual([
      "25.0% of 4 token logprobs are off by more than 0.125, above the allowed 24.0%",
    ]);
  });

  it("checks the largest token error itself when verdicts were judged more leniently", () => {
    const c = copy(ref);
    (toks(c)[3] as GateToken).logprob = -1.25;
    const v = compareRequest(req(ref, c), T);
    expect(v.status).toBe("match");
    const g = gateVerdict([v], logprobs({ maxError: 0.125 }));
    expect(g.reasons).toContain(
      "the largest token logprob error 0.25 (gate:0 token 3) exceeds 0.125",
    );
    expect(g.maxLogprobErrorAt).toBe("gate:0 token 3");
  });
});

describe("RequestVerdictSchema", () => {
  it("reads a verdict back and rejects one that is not", () => {
    const v = diverged("gate:3");
    expect(RequestVerdictSchema.parse(JSON.parse(JSON.stringify(v)))).toEqual(v);
    expect(RequestVerdictSchema.safeParse({ ...v, status: "ok" }).success).toBe(false);
    expect(RequestVerdictSchema.safeParse({ ...v, reason: "slow" }).success).toBe(false);
    expect(RequestVerdictSchema.safeParse({ ...v, matchedTokens: -1 }).success).toBe(false);
  });
});

describe("gateMargins", () => {
  it("gives each metric's distance from its threshold", () => {
    const c = copy(ref);
    (toks(c)[3] as GateToken).logprob = -1.25;
    const vs = [compareRequest(req(ref, c), T), forked("gate:1"), diverged("gate:2")];
    const m = gateMargins(gateVerdict(vs, T), T);
    expect(m.tokenLogprobError).toEqual({
      threshold: 0.5,
      observed: 0.25,
      headroom: 0.25,
      at: "gate:0 token 3",
    });
    expect(m.meanLogprobError.observed).toBeCloseTo(0.25 / 7, 12);
    expect(m.offLogprobShare).toEqual({ threshold: 0.5, observed: 1 / 7, headroom: 0.5 - 1 / 7 });
    expect(m.toleratedTieGap).toEqual({ threshold: 0.125, observed: 0.0625, headroom: 0.0625 });
    expect(m.rejectedTieGap).toEqual({ threshold: 0.125, observed: 2.875, headroom: 2.75 });
  });

  it("observes nothing where nothing happened", () => {
    const m = gateMargins(gateVerdict([], T), T);
    for (const k of Object.values(m)) expect(k.observed).toBeNull();
  });
});

describe("explainRequest", () => {
  it("shows a divergence with position, both tokens, the top list, the gap and context", () => {
    const text = explainRequest(diverged("gate:7"));
    expect(text.split("\n")).toEqual([
      'gate:7: FAIL (divergence): token 2: the candidate chose "f" where the reference chose "e"; it is 2.875 below the reference\'s top-1, more than the tie gap 0.125',
      '  context before token 2: "ac"',
      '  reference token 2: "e" -0.125',
      '  candidate token 2: "f" -3',
      '  reference top_logprobs: "e" -0.125, "f" -3',
      "  gap to the reference's top-1 2.875 (tie gap 0.125)",
      expect.stringContaining("what to check: greedy decoding must pick the model's top token"),
      "  compared 3 of 4 reference tokens, 2 matched",
      '  logprob error: largest 0 at token 0 (chosen "a": reference -0.5, candidate -0.5), mean 0 over 2 tokens, 0 off',
    ]);
  });

  it("says a fork awaits the teacher, and a match is a match", () => {
    const t = explainRequest(forked("gate:1"));
    expect(t).toContain(
      "gate:1: forked: forked at token 1, where the reference is near a tie; its 3 tokens from there await the teacher",
    );
    expect(explainRequest(identical("gate:0"))).toContain(
      "gate:0: match: all 4 tokens identical to the reference",
    );
  });

  it("gives the failure message and what to check for other reasons", () => {
    const v = compareRequest(req(ref, { failure: "HTTP 503" }), T);
    expect(explainRequest(v)).toContain(
      "gate:0: FAIL (request_failed): the request failed: HTTP 503",
    );
    const fake = copy(ref);
    for (const t of toks(fake)) for (const e of t.top) e.logprob = 0;
    const text = explainRequest(compareRequest(req(ref, fake), T));
    expect(text).toContain("FAIL (logprob_error): token 0");
    expect(text).toContain("report the model's own logprobs");
  });
});
