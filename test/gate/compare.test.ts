import { describe, expect, it } from "vitest";
import {
  compareRequest,
  DEFAULT_GATE_THRESHOLDS,
  explainRequest,
  type GateThresholds,
  type GateToken,
  gateVerdict,
} from "../../src/gate/index.js";
import { copy, entry, out, req, tok, toks } from "./fixtures.js";

const T: GateThresholds = {
  ...DEFAULT_GATE_THRESHOLDS,
  tieGap: 0.125,
  logprobs: { tolerance: 0.125, maxOffShare: 0.05, maxError: 0.25, maxMean: 0.1 },
};

/** T with another largest token logprob error. */
const maxError = (e: number): GateThresholds => ({
  ...T,
  logprobs: { ...T.logprobs, maxError: e },
});

/** Five clear positions; position 2 is a near-tie between " sat" and " lay" (gap 0.0625). */
function sentence(): GateToken[] {
  return [
    tok("The", -0.5, [[" A", -2]]),
    tok(" cat", -0.25, [[" dog", -3]]),
    tok(" sat", -0.75, [
      [" lay", -0.8125],
      [" ran", -2],
    ]),
    tok(" on", -0.125, [[" by", -4]]),
    tok(" mats", -1, [[" rugs", -2.5]]),
  ];
}

describe("compareRequest: identical and forked", () => {
  it("matches identical outputs with zero error", () => {
    const ref = out(sentence());
    const v = compareRequest(req(ref, copy(ref)), T);
    expect(v).toMatchObject({
      status: "match",
      referenceTokens: 5,
      comparedTokens: 5,
      matchedTokens: 5,
      maxLogprobError: 0,
      sumLogprobError: 0,
      offLogprobTokens: 0,
    });
    expect(v.reason).toBeUndefined();
    expect(v.fork).toBeUndefined();
  });

  it("compares by bytes when both sides carry them, else by the token string", () => {
    const ref = out([tok("a", -0.1), tok("\ufffd", -0.2), tok("b", -0.3)]);
    ref.text = "a\ufffdb";
    const cand = copy(ref);
    const t1 = toks(cand)[1] as GateToken;
    // Same bytes, another rendering of a partial character: the same token.
    t1.token = "bytes:\\xef\\xbf\\xbd";
    t1.top[0] = { ...entry("bytes:\\xef\\xbf\\xbd", -0.2), bytes: [0xef, 0xbf, 0xbd] };
    expect(compareRequest(req(ref, cand), T).status).toBe("match");
    // No bytes on one side: the strings decide.
    const noBytes = copy(ref);
    for (const t of toks(noBytes)) t.bytes = null;
    expect(compareRequest(req(ref, noBytes), T).status).toBe("match");
    // Same string, different bytes: a different token.
    const otherBytes = copy(ref);
    (toks(otherBytes)[1] as GateToken).bytes = [0x3f];
    otherBytes.text = "a?b"; // the bytes spell the text, so identity is what fails
    // The reference's one-entry list cannot say how far below it the other token is: a fork.
    const v = compareRequest(req(ref, otherBytes), T);
    expect(v).toMatchObject({ status: "forked", fork: { position: 1, judgedBy: "teacher" } });
  });

  it("forks at a reference near-tie: the rest awaits the teacher", () => {
    const ref = out(sentence());
    const cand = out([
      ...copy(sentence()).slice(0, 2),
      tok(" lay", -0.78, [[" sat", -0.77]]),
      tok(" down", -0.1), // the teacher judges what follows
    ]);
    const v = compareRequest(req(ref, cand), T);
    expect(v.status).toBe("forked");
    expect(v.fork).toEqual({
      position: 2,
      judgedBy: "reference",
      candidateTokens: 4,
      stopped: true,
      ignoreEos: false,
    });
    expect(v.matchedTokens).toBe(2);
    expect(v.comparedTokens).toBe(3);
    expect(v.divergence).toMatchObject({ position: 2, gap: 0.0625, tieGap: 0.125 });
  });

  it("forks for the teacher to judge where no top list is at hand (timed phases)", () => {
    const bare = (ts: GateToken[]) => out(ts.map((t) => ({ ...t, top: [] })));
    const ref = bare(sentence());
    const cand = bare([...copy(sentence()).slice(0, 3), tok(" by", -5)]);
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ status: "forked", matchedTokens: 3 });
    expect(v.fork).toMatchObject({ position: 3, judgedBy: "teacher", candidateTokens: 4 });
    expect(v.divergence).toMatchObject({ position: 3, gap: null, referenceTop: [] });
    // An early end of sequence with no list at hand: the teacher judges the stop.
    const early = compareRequest(req(ref, bare(copy(sentence()).slice(0, 2))), T);
    expect(early.fork).toMatchObject({ position: 2, judgedBy: "teacher", stopped: true });
  });

  it("forks for the teacher where an unlisted token could still be within the tie gap", () => {
    // The whole top list is within 0.1 of top-1: an unlisted token may be too.
    const ref = out([
      tok("a", -1.3, [
        ["b", -1.35],
        ["c", -1.4],
      ]),
      tok(".", -0.1),
    ]);
    const cand = out([tok("d", -1.41), tok(".", -0.1)]);
    expect(compareRequest(req(ref, cand), T).fork).toMatchObject({ judgedBy: "teacher" });
    // With a list spread past the tie gap, unlisted means outside it: judged on the spot.
    const spread = out([
      tok("a", -1.3, [
        ["b", -1.35],
        ["c", -1.5],
      ]),
      tok(".", -0.1),
    ]);
    expect(compareRequest(req(spread, cand), T).reason).toBe("divergence");
  });
});

describe("compareRequest: failures", () => {
  it("fails a real divergence with the detail to act on", () => {
    const ref = out(sentence());
    const cand = copy(ref);
    const tokens = toks(cand);
    tokens[3] = tok(" by", -0.2, [[" on", -0.3]]);
    cand.text = tokens.map((t) => t.token).join("");
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({
      status: "fail",
      reason: "divergence",
      failedAt: 3,
      matchedTokens: 3,
    });
    expect(v.divergence).toEqual({
      position: 3,
      reference: { token: " on", logprob: -0.125 },
      candidate: { token: " by", logprob: -0.2 },
      referenceTop: [
        { token: " on", logprob: -0.125 },
        { token: " by", logprob: -4 },
      ],
      gap: 3.875,
      tieGap: 0.125,
      context: "The cat sat",
    });
    expect(v.message).toContain(
      'token 3: the candidate chose " by" where the reference chose " on"',
    );
  });

  it("gives gap null when the candidate's token is not in the reference's top list", () => {
    const ref = out(sentence());
    const cand = out([...copy(sentence()).slice(0, 1), tok(" bird", -0.1)]);
    const v = compareRequest(req(ref, cand), T);
    expect(v.reason).toBe("divergence");
    expect(v.divergence?.gap).toBeNull();
    expect(v.message).toContain("does not list it");
  });

  it("fails fake logprobs on correct tokens: all zero", () => {
    const ref = out(sentence());
    const cand = copy(ref);
    for (const t of toks(cand)) {
      t.logprob = 0;
      for (const e of t.top) e.logprob = 0;
    }
    const v = compareRequest(req(ref, cand), T);
    expect(v.reason).toBe("logprob_error");
    expect(v.failedAt).toBe(0); // " A" at −2 claimed 0
    expect(v.maxLogprobError).toBe(4); // " by" at −4
    expect(v.worstLogprobError).toMatchObject({ position: 3, token: " by", kind: "top" });
  });

  it("fails made-up top lists even when the chosen logprob is right and no entry is shared", () => {
    const ref = out(sentence());
    const cand = copy(ref);
    for (const t of toks(cand)) t.top = [entry(t.token, t.logprob), entry(" zzz", -0.01)];
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ reason: "logprob_error", failedAt: 0 });
    // " zzz" is absent from the reference's lists, whose lowest entries are −2 then −3: it cannot
    // be −0.01 there. The worst is position 1.
    expect(v.worstLogprobError).toMatchObject({
      position: 1,
      token: " zzz",
      kind: "missing_in_reference",
      referenceLogprob: -3,
      candidateLogprob: -0.01,
    });
    expect(v.maxLogprobError).toBeCloseTo(2.99, 12);
  });

  it("bounds a reference entry the candidate left out by the candidate's lowest entry", () => {
    const ref = out([
      tok("x", -0.5, [
        ["y", -1],
        ["z", -1.5],
      ]),
    ]);
    // A swap at the lists' tail: z and w each absent from the other list, each at its lowest.
    const cand = out([
      tok("x", -0.5, [
        ["y", -1],
        ["w", -1.5],
      ]),
    ]);
    const v = compareRequest(req(ref, cand), T);
    expect(v.status).toBe("match");
    expect(v.maxLogprobError).toBe(0);
    // Absent from the reference's list (so at most −1.5 there) yet claimed at −1.1.
    const bad = out([
      tok("x", -0.5, [
        ["y", -1],
        ["w", -1.1],
      ]),
    ]);
    const vb = compareRequest(req(ref, bad), T);
    expect(vb.reason).toBe("logprob_error");
    expect(vb.maxLogprobError).toBeCloseTo(0.4, 12);
    expect(vb.worstLogprobError?.kind).toBe("missing_in_reference");
  });

  it("fails a top list shorter than the reference's as missing logprobs", () => {
    const ref = out(sentence());
    const cand = copy(ref);
    (toks(cand)[4] as GateToken).top.pop();
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ status: "fail", reason: "missing_logprobs", failedAt: 4 });
    expect(v.message).toBe("token 4: 1 top_logprobs entries where the reference has 2");
  });

  it("fails a response without logprobs, or with entries missing for part of the text", () => {
    const ref = out(sentence());
    const none = { ...copy(ref), tokens: null };
    expect(compareRequest(req(ref, none), T)).toMatchObject({
      reason: "missing_logprobs",
      message: "the response carried no logprobs",
    });
    const short = copy(ref);
    toks(short).pop();
    const v = compareRequest(req(ref, short), T);
    expect(v).toMatchObject({ reason: "missing_logprobs", failedAt: 4 });
    expect(v.message).toBe("the text's last 5 bytes (from byte 14) have no logprobs entry");
  });

  it("needs no logprobs for an empty answer", () => {
    const ref = out([]);
    const v = compareRequest(req(ref, { text: "", tokens: null, finishReason: "stop" }), T);
    expect(v.status).toBe("match");
  });

  it("fails entries that do not spell the text", () => {
    const ref = out(sentence());
    const cand = copy(ref);
    cand.text = "The cat sat in mats";
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ status: "fail", reason: "text_mismatch", failedAt: 3 });
    expect(v.message).toBe('logprobs entry 3 " on" disagrees with the text at byte 12 of 19');
    const longer = copy(ref);
    longer.text = "The cat";
    expect(compareRequest(req(ref, longer), T).reason).toBe("text_mismatch");
  });

  it("fails a candidate that stops before the reference", () => {
    const ref = out(sentence());
    const cand = out(copy(sentence()).slice(0, 3));
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({
      status: "fail",
      reason: "premature_stop",
      failedAt: 3,
      matchedTokens: 3,
    });
    expect(v.message).toBe(
      "the candidate stopped after 3 tokens where the reference gave 5; the reference's top list there has no end-of-sequence token",
    );
    expect(v.divergence).toMatchObject({ position: 3, candidate: null, gap: null });
    // Cut off for another reason than choosing the end: no end-of-sequence judgement.
    const cut = compareRequest(req(ref, { ...cand, finishReason: "length" }), T);
    expect(cut.reason).toBe("too_few_tokens");
    expect(cut.divergence).toBeUndefined();
  });

  it("judges an early end of sequence like any other choice: tolerated only at a near-tie", () => {
    const tokens = sentence();
    tokens[3] = tok(" on", -0.5, [
      ["<|im_end|>", -0.5625],
      [" by", -4],
    ]);
    const ref = out(tokens);
    const cand = out(copy(tokens).slice(0, 3));
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ status: "forked", matchedTokens: 3 });
    expect(v.fork).toMatchObject({ position: 3, judgedBy: "reference", stopped: true });
    expect(v.divergence).toMatchObject({ position: 3, candidate: null, gap: 0.0625 });
    expect(explainRequest(v)).toContain("forked: ended its answer at token 3");
    // Another model's end-of-sequence token is named by the request.
    const other = compareRequest(req(ref, cand, { eosTokens: ["</s>"] }), T);
    expect(other.reason).toBe("premature_stop");
    const far = compareRequest(req(ref, cand), { ...T, tieGap: 0.05 });
    expect(gateVerdict([far], T).smallestRejectedGap).toBe(0.0625);
    expect(far.message).toContain(
      "; there the reference's end of sequence is 0.0625 below its top-1, more than the tie gap 0.05",
    );
    expect(explainRequest(far)).toContain(
      "candidate token 3: (none: the candidate ended its answer here)",
    );
  });

  it("fails tokens past max_tokens; going on past a reference that stopped forks for the teacher", () => {
    const ref = out(sentence());
    const longer = out([...copy(sentence()), tok(" now", -0.5)]);
    expect(compareRequest(req(ref, longer, { maxTokens: 5 }), T)).toMatchObject({
      reason: "extra_tokens",
      failedAt: 5,
      message: "the candidate gave 6 tokens, more than max_tokens 5",
    });
    const v = compareRequest(req(ref, longer, { maxTokens: 6 }), T);
    expect(v).toMatchObject({ status: "forked", matchedTokens: 5 });
    expect(v.fork).toMatchObject({ position: 5, judgedBy: "teacher", candidateTokens: 6 });
    expect(v.divergence).toMatchObject({ position: 5, reference: null, gap: null });
  });

  it("after a fork, ends an answer before max_tokens only with an end of sequence", () => {
    const ref = out(sentence());
    const cand = out([...copy(sentence()).slice(0, 2), tok(" lay", -0.8)], "length");
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ status: "fail", reason: "too_few_tokens", failedAt: 3 });
    expect(v.message).toBe(
      "the candidate ended after 3 of max_tokens 64 tokens without an end of sequence (finish_reason length)",
    );
    // At max_tokens, "length" is the honest finish.
    const full = out([...toks(copy(cand)), tok(" down", -0.1), tok(".", -0.1)], "length");
    expect(compareRequest(req(ref, full, { maxTokens: 5 }), T).status).toBe("forked");
  });

  it("with fixed lengths needs exactly max_tokens from both sides", () => {
    const ref = out(sentence(), "length");
    const fixed = { maxTokens: 5, fixedLength: true };
    expect(compareRequest(req(ref, copy(ref), fixed), T).status).toBe("match");
    // A tolerated divergence does not excuse a short output.
    const tolerated = out([...copy(sentence()).slice(0, 2), tok(" lay", -0.8)]);
    expect(compareRequest(req(ref, tolerated, fixed), T)).toMatchObject({
      reason: "too_few_tokens",
      failedAt: 3,
    });
    // The reference's own length is checked: that failure is the baseline's.
    const v = compareRequest(req(ref, copy(ref), { maxTokens: 6, fixedLength: true }), T);
    expect(v).toMatchObject({ reason: "reference_invalid" });
    expect(v.message).toBe("the reference gave 5 tokens where exactly 6 were asked for");
  });

  it("reports a failed request with its message", () => {
    const v = compareRequest(req(out(sentence()), { failure: "HTTP 500: boom" }), T);
    expect(v).toMatchObject({
      status: "fail",
      reason: "request_failed",
      message: "the request failed: HTTP 500: boom",
      referenceTokens: 5,
      comparedTokens: 0,
    });
  });

  it("reports a reference without logprobs as the reference's fault", () => {
    const ref = { ...out(sentence()), tokens: null };
    expect(compareRequest(req(ref, out(sentence())), T).reason).toBe("reference_invalid");
  });

  it("keeps the earliest failure: a logprob error before a divergence", () => {
    const ref = out(sentence());
    const cand = copy(ref);
    const tokens = toks(cand);
    tokens[1] = tok(" cat", -1, [[" dog", -3]]);
    tokens[3] = tok(" by", -0.2);
    cand.text = tokens.map((t) => t.token).join("");
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ reason: "logprob_error", failedAt: 1, matchedTokens: 3 });
    expect(v.divergence?.position).toBe(3);
  });

  it("counts the chosen tokens' errors above the tolerance, the top lists bound only the maximum", () => {
    const ref = out(sentence());
    const cand = copy(ref);
    const tokens = toks(cand);
    (tokens[0] as GateToken).logprob = -0.3; // chosen off by 0.2: above the tolerance 0.125
    ((tokens[1] as GateToken).top[1] as { logprob: number }).logprob = -3.2; // a top entry off by 0.2
    const v = compareRequest(req(ref, cand), T);
    expect(v).toMatchObject({ status: "match", offLogprobTokens: 1 });
    expect(v.sumLogprobError).toBeCloseTo(0.2, 12);
    expect(v.maxLogprobError).toBeCloseTo(0.2, 12);
  });

  it("is JSON: a verdict survives a round trip unchanged", () => {
    const ref = out(sentence());
    const cand = out([...copy(sentence()).slice(0, 2), tok(" lay", -0.8)]);
    const v = compareRequest(req(ref, cand), DEFAULT_GATE_THRESHOLDS);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });
});

describe("compareRequest: threshold edges", () => {
  const ref = out([tok("a", -0.5, [["b", -0.625]]), tok("c", -0.25)]);

  it("tolerates a gap equal to tieGap and fails one just above", () => {
    const cand = out([tok("b", -0.6)]);
    expect(compareRequest(req(ref, cand), { ...T, tieGap: 0.125 }).status).toBe("forked");
    expect(compareRequest(req(ref, cand), { ...T, tieGap: 0.1249 }).reason).toBe("divergence");
  });

  it("passes an error equal to logprobs.maxError and fails one just above", () => {
    const cand = out([tok("a", -0.75, [["b", -0.625]]), tok("c", -0.25)]);
    const v = compareRequest(req(ref, cand), maxError(0.25));
    expect(v).toMatchObject({ status: "match", maxLogprobError: 0.25, sumLogprobError: 0.25 });
    expect(compareRequest(req(ref, cand), maxError(0.2499)).reason).toBe("logprob_error");
  });
});
