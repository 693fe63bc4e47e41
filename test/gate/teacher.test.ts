// The teacher's rules on forked requests (DESIGN §2.4): each rule on its own, at its edge, in the
// order a request reports them, the stock control's aggregates, and `judge` reproducing every
// verdict from the evidence a report keeps.
import { describe, expect, it } from "vitest";
import {
  compareRequest,
  DEFAULT_GATE_THRESHOLDS,
  explainRequest,
  type GateThresholds,
  type GateToken,
  gateMargins,
  gateVerdict,
  judge,
  type RequestVerdict,
  RequestVerdictSchema,
  type ScoredInput,
  type TeacherInput,
  type TeacherScore,
} from "../../src/gate/index.js";
import { copy, out, req, tok } from "./fixtures.js";

const T: GateThresholds = DEFAULT_GATE_THRESHOLDS;

/** A clear reference of `n` tokens, top lists spread past the tie gap. */
function clear(n: number): GateToken[] {
  return Array.from({ length: n }, (_, i) => tok(` w${i}`, -0.05, [[` x${i}`, -3]]));
}

/** A candidate forked from clear(n) at `at` (a token the reference's list does not judge: no
 *  lists at hand), `len` tokens long, stopped or cut at max_tokens. */
function forkedVerdict(
  opts: { at?: number; len?: number; stopped?: boolean; ignoreEos?: boolean } = {},
): RequestVerdict {
  const { at = 2, len = 8, stopped = true, ignoreEos = false } = opts;
  const bare = (ts: GateToken[]) => ts.map((t) => ({ ...t, top: [] }));
  const ref = out(bare(clear(8)), ignoreEos ? "length" : "stop");
  const cand = out(
    bare([...clear(at), ...Array.from({ length: len - at }, (_, i) => tok(` y${i}`, -0.5))]),
    stopped ? "stop" : "length",
  );
  const maxTokens = stopped ? Math.max(16, len + 1) : len;
  const v = compareRequest(
    req(ref, cand, { maxTokens: ignoreEos ? 8 : maxTokens, fixedLength: ignoreEos }),
    T,
  );
  if (v.status !== "forked") throw new Error(`expected a fork, got ${v.status}: ${v.message}`);
  return v;
}

/** A teacher score: fine by default (the token is the teacher's top-1). */
function score(over: Partial<ScoredInput> = {}): ScoredInput {
  return {
    id: 7,
    token: " y",
    logprob: -0.5,
    rank: 1,
    top1: -0.5,
    eos: null,
    claimed: -0.5,
    ...over,
  };
}
const eosScore = (over: Partial<TeacherScore> = {}): TeacherScore => ({
  id: 151645,
  token: "<|im_end|>",
  logprob: -0.2,
  rank: 1,
  top1: -0.2,
  eos: -0.2,
  ...over,
});

/** Teacher input for forkedVerdict(): six tokens from the fork at 2, with `edits` by index. */
function input(
  edits: Record<number, Partial<ScoredInput>> = {},
  stop: TeacherScore | null = eosScore(),
  n = 6,
): TeacherInput {
  return {
    tokens: Array.from({ length: n }, (_, i) => score(edits[i])),
    stop,
    control: Array.from({ length: 6 }, () => {
      const { claimed, ...s } = score();
      return s;
    }),
  };
}

describe("judge: the per-token rules", () => {
  it("tolerates a fork whose every token is within the tie gap of the teacher's top-1", () => {
    const v = judge(forkedVerdict(), input({ 1: { logprob: -0.6, top1: -0.5, rank: 2 } }), T);
    expect(v.status).toBe("tolerated");
    expect(v.reason).toBeUndefined();
    expect(v.teacher?.tokens.map((s) => s.verdict)).toEqual(Array(6).fill("fine"));
    expect(explainRequest(v)).toContain(
      "gate:0: tolerated: forked at token 2, where the reference's top list could not judge it; the teacher passed every token from there",
    );
  });

  it("an exact tie is always fine, and a token just outside the tie gap is off, not a failure", () => {
    const tie = judge(forkedVerdict(), input({ 3: { logprob: -0.7, top1: -0.7, rank: 2 } }), T);
    expect(tie.teacher?.tokens[3]?.verdict).toBe("fine");
    const off = judge(forkedVerdict(), input({ 3: { logprob: -0.9, top1: -0.5, rank: 2 } }), T);
    expect(off.status).toBe("tolerated");
    expect(off.teacher?.tokens[3]?.verdict).toBe("off");
    const edge = judge(forkedVerdict(), input({ 3: { logprob: -0.6, top1: -0.5 } }), {
      ...T,
      tieGap: 0.1 + 1e-12,
    });
    expect(edge.teacher?.tokens[3]?.verdict).toBe("fine");
  });

  it("fails a token ranked beyond maxRank, and passes one at it", () => {
    const at = (rank: number) =>
      judge(forkedVerdict(), input({ 2: { rank, logprob: -4, top1: -0.1, claimed: -4 } }), T);
    expect(at(10).status).toBe("tolerated");
    const v = at(11);
    expect(v).toMatchObject({ status: "fail", reason: "teacher_rank", failedAt: 4 });
    expect(v.message).toBe(
      'token 4 " y": the teacher ranks it 11, beyond the maximum rank 10 (teacher logprob -4, rank 11, top-1 -0.1)',
    );
  });

  it("fails one token at the hard floor", () => {
    const at = (logprob: number) =>
      judge(forkedVerdict(), input({ 4: { logprob, rank: 3, top1: -0.1, claimed: logprob } }), T);
    expect(at(-12.99).status).toBe("tolerated");
    const v = at(-13);
    expect(v).toMatchObject({ status: "fail", reason: "teacher_hard_floor", failedAt: 6 });
    expect(v.message).toBe(
      'token 6 " y": the teacher\'s logprob -13 is at or below the hard floor -13 (rank 3)',
    );
  });

  it("fails the fifth token at the soft floor, not the fourth", () => {
    const low = { logprob: -8, rank: 4, top1: -0.1, claimed: -8 };
    const four = input({ 1: low, 2: low, 3: low, 4: low });
    expect(judge(forkedVerdict(), four, T).status).toBe("tolerated");
    const v = judge(forkedVerdict(), input({ 1: low, 2: low, 3: low, 4: low, 5: low }), T);
    expect(v).toMatchObject({ status: "fail", reason: "teacher_soft_floor", failedAt: 7 });
    expect(v.message).toBe(
      "5 tokens at teacher logprob ≤ -8 (tokens 3, 4, 5, 6, 7); at most 4 are allowed",
    );
  });

  it("fails a stop where the teacher's end of sequence is outside the tie gap", () => {
    const near = judge(
      forkedVerdict(),
      input({}, eosScore({ logprob: -0.6, top1: -0.5, eos: -0.6, rank: 2 })),
      T,
    );
    expect(near.status).toBe("tolerated");
    // Another end-of-sequence token the teacher lists higher counts as the stop's.
    const other = eosScore({ logprob: -3, top1: -0.5, eos: -0.55, rank: 5 });
    expect(judge(forkedVerdict(), input({}, other), T).status).toBe("tolerated");
    const v = judge(
      forkedVerdict(),
      input({}, eosScore({ logprob: -2, top1: -0.3, eos: -2, rank: 3 })),
      T,
    );
    expect(v).toMatchObject({ status: "fail", reason: "premature_stop", failedAt: 8 });
    expect(v.message).toBe(
      "the candidate stopped after 8 tokens where the teacher's end of sequence is 1.7 below its top-1 (-2 vs -0.3, rank 3), more than the tie gap 0.1",
    );
  });

  it("fails going on where the teacher prefers the end of sequence by more than eosRatio, unless ignore_eos", () => {
    const skip = { logprob: -2.5, top1: -0.1, eos: -0.1, rank: 2, claimed: -2.5 };
    const v = judge(forkedVerdict(), input({ 1: skip }), T);
    expect(v).toMatchObject({ status: "fail", reason: "eos_skip", failedAt: 3 });
    expect(v.message).toContain("by 2.4 nats, more than ln 10 = 2.30259");
    // Just within the ratio: an off token, counted by the aggregate.
    const within = judge(
      forkedVerdict(),
      input({ 1: { ...skip, logprob: -2.3, claimed: -2.3 } }),
      T,
    );
    expect(within.teacher?.tokens[1]?.verdict).toBe("off");
    // With ignore_eos the request asked to go on.
    const fixed = forkedVerdict({ stopped: false, ignoreEos: true });
    expect(fixed.fork?.ignoreEos).toBe(true);
    expect(judge(fixed, input({ 1: skip }, null), T).status).toBe("tolerated");
  });

  it("judges a first difference the reference's list could not: within the tie gap or fail", () => {
    const v = judge(forkedVerdict(), input({ 0: { logprob: -1, top1: -0.5, rank: 2 } }), T);
    expect(v).toMatchObject({ status: "fail", reason: "divergence", failedAt: 2 });
    expect(v.message).toBe(
      "token 2 \" y\": the candidate's first token off the reference is 0.5 below the teacher's top-1, more than the tie gap 0.1 (teacher logprob -1, rank 2, top-1 -0.5)",
    );
    expect(gateVerdict([v], T).smallestRejectedGap).toBe(0.5);
    // Where the reference's list judged it, the same token later is only off.
    const ref = out(clear(8));
    const cand = out([...clear(2), tok(" x2", -3.05), ...clear(8).slice(3)]);
    const tied = compareRequest(req(ref, cand), { ...T, tieGap: 3 });
    expect(tied.fork?.judgedBy).toBe("reference");
  });

  it("checks the candidate's claimed logprobs against the teacher's after the fork", () => {
    const v = judge(forkedVerdict(), input({ 2: { claimed: -1.6 } }), T);
    expect(v).toMatchObject({ status: "fail", reason: "logprob_error", failedAt: 4 });
    expect(v.worstLogprobError).toEqual({
      position: 4,
      token: " y",
      kind: "teacher",
      referenceLogprob: -0.5,
      candidateLogprob: -1.6,
      error: expect.closeTo(1.1, 12),
    });
    const loose = judge(forkedVerdict(), input({ 2: { claimed: -0.8 } }), T);
    expect(loose).toMatchObject({ status: "tolerated", offLogprobTokens: 1 });
    expect(loose.sumLogprobError).toBeCloseTo(0.3, 12);
  });

  it("reports the earliest failure, the most severe rule first at one token", () => {
    const both = { logprob: -14, rank: 50, top1: -0.1, claimed: -14 };
    const v = judge(
      forkedVerdict(),
      input({ 3: both, 1: { rank: 12, logprob: -5, claimed: -5 } }),
      T,
    );
    expect(v).toMatchObject({ reason: "teacher_rank", failedAt: 3 });
    expect(v.teacher?.tokens[3]?.verdict).toBe("hard_floor");
    // A premature stop comes after every token.
    const w = judge(forkedVerdict(), input({ 5: both }, eosScore({ logprob: -5, eos: -5 })), T);
    expect(w.reason).toBe("teacher_hard_floor");
  });

  it("keeps the evidence, and reproduces every verdict from it alone", () => {
    const cases: TeacherInput[] = [
      input(),
      input({ 2: { rank: 11, logprob: -4 } }),
      input({ 0: { logprob: -1 } }),
      input({}, eosScore({ logprob: -3, eos: -3 })),
    ];
    for (const c of cases) {
      const pre = forkedVerdict();
      const v = judge(pre, c, T);
      const stored = RequestVerdictSchema.parse(JSON.parse(JSON.stringify(v)));
      expect(stored).toEqual(v);
      expect(judge(pre, stored.teacher, T)).toEqual(v);
      // Stored verdicts are recomputed, not trusted.
      const forged = copy(stored.teacher);
      if (forged) for (const s of forged.tokens) s.verdict = "fine";
      expect(judge(pre, forged, T)).toEqual(v);
    }
  });

  it("leaves a verdict alone that did not fork, or has no teacher scores yet", () => {
    const ref = out(clear(3));
    const match = compareRequest(req(ref, copy(ref)), T);
    expect(judge(match, input(), T)).toBe(match);
    const pre = forkedVerdict();
    expect(judge(pre, undefined, T)).toBe(pre);
  });

  it("fails evidence that does not fit the fork as the teacher's fault, with what is wrong", () => {
    const short = judge(forkedVerdict(), input({}, eosScore(), 5), T);
    expect(short).toMatchObject({ status: "fail", reason: "teacher_invalid" });
    expect(short.message).toBe(
      "the teacher scored 5 tokens where the candidate has 6 from the fork at token 2",
    );
    expect(judge(forkedVerdict(), input({}, null), T).message).toBe(
      "the candidate stopped, but the teacher did not score its end of sequence",
    );
    expect(judge(forkedVerdict({ stopped: false }), input(), T).message).toBe(
      "the teacher scored an end of sequence the candidate did not give",
    );
    expect(judge(forkedVerdict(), input({ 1: { logprob: Number.NaN } }), T).reason).toBe(
      "teacher_invalid",
    );
    expect(judge(forkedVerdict(), input({ 1: { rank: 0 } }), T).reason).toBe("teacher_invalid");
  });

  it("explains a teacher's failure with the tokens around it", () => {
    const v = judge(
      forkedVerdict(),
      input({ 2: { rank: 11, logprob: -4, top1: -0.1, claimed: -4 } }),
      T,
    );
    const text = explainRequest(v);
    expect(text).toContain("gate:0: FAIL (teacher_rank): token 4");
    expect(text).toContain(
      "  teacher: scored 6 tokens from token 2: 5 fine, 1 outside the tie gap of its top-1; worst rank 11, lowest logprob -4; stock control: 6 reference tokens",
    );
    expect(text).toContain(
      '    token 4 " y": teacher logprob -4, rank 11, top-1 -0.1 (gap 3.9); claimed -4; rank',
    );
    expect(text).toContain("what to check: every token must be one the model itself would choose");
  });
});

describe("gateVerdict: the teacher's aggregates against the stock control", () => {
  /** `n` forked requests, each with `off` of its 6 candidate tokens at a gap of `gap`, and the
   *  control's tokens at `controlOff` off. */
  function session(n: number, off: number, gap = 1, controlOff = 0): RequestVerdict[] {
    return Array.from({ length: n }, (_, r) => {
      const e = input(
        Object.fromEntries(
          Array.from({ length: off }, (_, i) => [
            i + 1,
            { logprob: -0.5 - gap, rank: 2, claimed: -0.5 - gap },
          ]),
        ),
      );
      e.control = e.control.map((s, i) =>
        i < controlOff ? { ...s, logprob: -0.5 - gap, rank: 2 } : s,
      );
      return judge({ ...forkedVerdict(), id: `throughput.1:${r}` }, e, T);
    });
  }

  it("passes with nothing to compare: no forks, or too few scored tokens", () => {
    const g = gateVerdict([], { ...T }, { final: true });
    expect(g.teacher).toEqual({
      candidate: { tokens: 0, notFine: 0, notFineShare: 0, nllExcess: 0 },
      control: { tokens: 0, notFine: 0, notFineShare: 0, nllExcess: 0 },
      judged: false,
    });
    // 33 requests × 6 tokens = 198 < 200: not compared, whatever the shares.
    const few = gateVerdict(session(33, 1), T, { final: true });
    expect(few.teacher.judged).toBe(false);
    expect(few.passed).toBe(true);
  });

  it("fails a candidate whose not-fine share exceeds the control's by more than the delta", () => {
    // 1 of 6 tokens off (16.7 %) against a control with 1 of 6: equal, passes.
    const same = gateVerdict(session(40, 1, 1, 1), T, { final: true });
    expect(same.teacher).toMatchObject({ judged: true, candidate: { tokens: 240, notFine: 40 } });
    expect(same.passed).toBe(true);
    // Against a clean control: 16.7 % > 0 % + 1 %.
    const g = gateVerdict(session(40, 1), T, { final: true });
    expect(g.passed).toBe(false);
    expect(g.reasons).toEqual([
      "16.7% of the 240 teacher-scored tokens are outside the tie gap 0.1 of the teacher's top-1, more than the stock control's 0.0% (240 tokens) + 1.0%",
      "the teacher-scored tokens' mean NLL excess over the teacher's top-1 is 0.166667 nats, more than the stock control's 0 + 0.01",
    ]);
    const m = gateMargins(g, T);
    expect(m.notFineShare).toEqual({ threshold: 0.01, observed: 1 / 6, headroom: 0.01 - 1 / 6 });
    expect(m.nllExcess.observed).toBeCloseTo(1 / 6, 12);
  });

  it("fails the NLL excess on its own: few tokens just outside the tie gap, far below top-1", () => {
    // Every token off by 0.05 (fine) → no share, but a mean excess of 0.05 > 0 + 0.01.
    const vs = Array.from({ length: 40 }, (_, r) =>
      judge(
        { ...forkedVerdict(), id: `r${r}` },
        input(
          Object.fromEntries(
            Array.from({ length: 6 }, (_, i) => [i, { logprob: -0.55, claimed: -0.55 }]),
          ),
        ),
        T,
      ),
    );
    const g = gateVerdict(vs, T, { final: true });
    expect(g.teacher.candidate.notFine).toBe(0);
    expect(g.reasons).toHaveLength(1);
    expect(g.reasons[0]).toContain("mean NLL excess over the teacher's top-1 is 0.05 nats");
  });

  it("gives the teacher rules' margins from the evidence", () => {
    const vs = [
      judge(
        forkedVerdict(),
        input({ 1: { rank: 7, logprob: -9, top1: -0.2, claimed: -9, eos: -1 } }),
        T,
      ),
      judge(
        { ...forkedVerdict(), id: "gate:1" },
        input({}, eosScore({ logprob: -0.25, top1: -0.2, eos: -0.25 })),
        T,
      ),
    ];
    const m = gateMargins(gateVerdict(vs, T), T);
    expect(m.teacherRank).toEqual({
      threshold: 10,
      observed: 7,
      headroom: 3,
      at: "gate:0 token 3",
    });
    expect(m.hardFloor).toEqual({
      threshold: -13,
      observed: -9,
      headroom: 4,
      at: "gate:0 token 3",
    });
    expect(m.softFloorCount).toEqual({ threshold: 5, observed: 1, headroom: 3, at: "gate:0" });
    expect(m.stopGap).toMatchObject({ threshold: 0.1, at: "gate:1 token 8" });
    expect(m.stopGap.observed).toBeCloseTo(0.05, 12);
    expect(m.eosPreference).toMatchObject({
      threshold: Math.log(10),
      observed: 8,
      at: "gate:0 token 3",
    });
  });
});

describe("teacher at scale", () => {
  it("judges 1000 forked requests × 256 teacher-scored tokens and their session (its time: bench/gate-speed)", () => {
    const pre = forkedVerdict({ at: 0, len: 256 });
    const scored = Array.from({ length: 256 }, (_, i) =>
      score({
        id: i,
        logprob: -0.01 * (i % 9),
        claimed: -0.01 * (i % 9),
        top1: -0.01 * (i % 3),
        rank: 1 + (i % 3),
      }),
    );
    const control = scored.map(({ claimed, ...s }) => s);
    const vs = Array.from({ length: 1000 }, (_, r) =>
      judge({ ...pre, id: `throughput.1:${r}` }, { tokens: scored, stop: eosScore(), control }, T),
    );
    const g = gateVerdict(vs, T, { final: true });
    gateMargins(g, T);
    expect(g.teacher.candidate.tokens).toBe(256_000);
    expect(g.passed).toBe(true);
  });
});
