// The gate against the reference server's synthetic model (no server, no I/O): its "ties" variant
// departs only at near-ties and must never fail; its "diverge" variant departs at clear positions
// and must. With the model as its own teacher (the reference server's prefill scoring, through
// vLLM's prompt_logprobs shape): a forking candidate passes every token after its fork, one that
// emits junk after its first near-tie fails there.
import { describe, expect, it } from "vitest";
import { PromptLogprobsSchema } from "../../src/contract/scoring.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import {
  compareRequest,
  DEFAULT_GATE_THRESHOLDS,
  type GateOutput,
  type GateToken,
  gateVerdict,
  judge as judgeFork,
  type RequestVerdict,
  scoresFromPromptLogprobs,
  teacherInput,
} from "../../src/gate/index.js";
import { Generation } from "../../src/reference/generation.js";
import {
  createModel,
  type SyntheticModel,
  TIE_GAP,
  TOP_K,
  VARIANTS,
  type Variant,
} from "../../src/reference/model.js";
import { PromptEncoder, renderChatPrompt } from "../../src/reference/prompt.js";
import { scorePrompt } from "../../src/reference/teacher.js";

/** The share of near-ties the teacher's prefill flips (the reference server's default). */
const PREFILL_TIE_FLIPS = 0.5;

const vocab = loadVocabulary();
const encoder = new PromptEncoder(vocab);
const PROMPTS = 24;
const MAX_TOKENS = 128;

const models = new Map(VARIANTS.map((v) => [v, createModel({ vocab, variant: v })]));

const promptIds = (prompt: number) =>
  encoder.encode(
    renderChatPrompt([{ role: "user", content: `Question ${prompt}: why do rivers meander?` }]),
  );

/** An answer, and its token ids (what the teacher scores). */
const outputIds = new WeakMap<GateOutput, number[]>();

function answer(variant: Variant, prompt: number): GateOutput {
  const model = models.get(variant) as SyntheticModel;
  const ids = promptIds(prompt);
  const gen = new Generation(model, ids, {
    maxTokens: MAX_TOKENS,
    minTokens: 0,
    ignoreEos: false,
    temperature: 0,
    topP: 1,
    seed: null,
    stop: [],
  });
  const tokens: GateToken[] = [];
  const bytes: number[] = [];
  const generated: number[] = [];
  const entry = (id: number, logprob: number) => ({
    token: vocab.text(id) ?? "",
    logprob,
    bytes: [...vocab.bytes(id)],
  });
  while (!gen.finished) {
    gen.step();
    for (const t of gen.released) {
      const top = Array.from({ length: TOP_K }, (_, k) =>
        entry(t.dist.ids[k] as number, t.dist.logprobs[k] as number),
      );
      tokens.push({ ...entry(t.id, t.dist.logprobs[t.rank] as number), top });
      bytes.push(...vocab.bytes(t.id));
      generated.push(t.id);
    }
    gen.released.length = 0;
  }
  const o: GateOutput = {
    text: new TextDecoder().decode(Uint8Array.from(bytes)),
    tokens,
    finishReason: gen.finishReason,
  };
  outputIds.set(o, generated);
  return o;
}

const references = Array.from({ length: PROMPTS }, (_, p) => answer("none", p));

/** The gate's verdict on a candidate's answer to prompt `p`, before the teacher. */
function compareTo(p: number, candidate: GateOutput): RequestVerdict {
  return compareRequest(
    {
      id: `gate:${p}`,
      maxTokens: MAX_TOKENS,
      fixedLength: false,
      reference: references[p] as GateOutput,
      candidate,
    },
    DEFAULT_GATE_THRESHOLDS,
  );
}

function judge(variant: Variant): RequestVerdict[] {
  return Array.from({ length: PROMPTS }, (_, p) => compareTo(p, answer(variant, p)));
}

/** The teacher's scores of one output from `from` on, as the teacher pass gets them: the
 *  reference model's prefill over prompt + output (+ end of sequence), in vLLM's wire shape. */
function teach(prompt: number, output: GateOutput, from: number, stopped: boolean) {
  const prefix = promptIds(prompt);
  const ids = [...prefix, ...(outputIds.get(output) as number[])];
  const eos = (models.get("none") as SyntheticModel).eosId;
  if (stopped) ids.push(eos);
  const wire = scorePrompt(models.get("none") as SyntheticModel, ids, 20, PREFILL_TIE_FLIPS).map(
    (entries) =>
      entries &&
      Object.fromEntries(
        entries.map((e) => [
          String(e.id),
          { logprob: e.logprob, rank: e.rank, decoded_token: vocab.text(e.id) },
        ]),
      ),
  );
  const parsed = PromptLogprobsSchema.parse(JSON.parse(JSON.stringify(wire)));
  return scoresFromPromptLogprobs(parsed, ids, prefix.length + from, [eos]);
}

/** A forked verdict judged by the teacher, with the reference's own tokens as the control. */
function withTeacher(v: RequestVerdict, p: number, cand: GateOutput): RequestVerdict {
  const fork = v.fork;
  if (v.status !== "forked" || !fork) return v;
  const claimed = (cand.tokens ?? []).slice(fork.position).map((t) => t.logprob);
  const ref = references[p] as GateOutput;
  return judgeFork(
    v,
    teacherInput(
      fork,
      teach(p, cand, fork.position, fork.stopped),
      claimed,
      teach(p, ref, fork.position, false).slice(
        0,
        Math.max(0, (ref.tokens?.length ?? 0) - fork.position),
      ),
    ),
    DEFAULT_GATE_THRESHOLDS,
  );
}

describe("gate vs the reference model's variants", () => {
  it("passes the model against itself", () => {
    const g = gateVerdict(judge("none"), DEFAULT_GATE_THRESHOLDS);
    expect(g.passed).toBe(true);
    expect(g.counts.matched).toBe(PROMPTS);
  });

  it('only tolerates the "ties" variant, at gaps below the model\'s tie gap', () => {
    const vs = judge("ties");
    expect(vs.filter((v) => v.status === "fail")).toEqual([]);
    const g = gateVerdict(vs, DEFAULT_GATE_THRESHOLDS);
    expect(g.toleratedDivergences).toBeGreaterThan(0);
    expect(g.largestToleratedGap).toBeLessThan(TIE_GAP);
    expect(g.maxLogprobError).toBe(0);
  });

  it('fails the "diverge" variant with a divergence at a clear position', () => {
    const vs = judge("diverge");
    const g = gateVerdict(vs, DEFAULT_GATE_THRESHOLDS);
    expect(g.passed).toBe(false);
    expect(g.failures.divergence).toBeGreaterThan(0);
    for (const v of vs.filter((x) => x.reason === "divergence"))
      expect(v.divergence?.gap ?? Number.POSITIVE_INFINITY).toBeGreaterThan(0.25 - 1e-9);
  });

  it('passes the "ties" variant token by token after every fork, with the model as its teacher', () => {
    const vs = Array.from({ length: PROMPTS }, (_, p) => {
      const cand = answer("ties", p);
      const v = compareTo(p, cand);
      return withTeacher(v, p, cand);
    });
    const g = gateVerdict(vs, DEFAULT_GATE_THRESHOLDS, { final: true });
    expect(g.reasons).toEqual([]);
    expect(g.counts.tolerated).toBeGreaterThan(0);
    expect(g.counts.forked).toBe(0);
    expect(g.teacher.candidate.tokens).toBeGreaterThan(0);
  });

  it("fails a candidate that emits junk after its first near-tie, at the first junk token", () => {
    const words = [" river", " stone", " lamp", " harbor"].map((w) => vocab.idOfText(w) as number);
    let failed = 0;
    for (let p = 0; p < PROMPTS; p++) {
      const honest = answer("ties", p);
      const v0 = compareTo(p, honest);
      const fork = v0.fork;
      if (!fork || fork.position + 4 > (honest.tokens?.length ?? 0)) continue;
      // Keep the fork's token, then junk: the same four words over and over.
      const keep = fork.position + 1;
      const ids = [...(outputIds.get(honest) as number[]).slice(0, keep)];
      const tokens = [...(honest.tokens as GateToken[]).slice(0, keep)];
      for (let i = keep; i < (honest.tokens?.length ?? 0); i++) {
        const id = words[i % 4] as number;
        ids.push(id);
        tokens.push({
          token: vocab.text(id) ?? "",
          logprob: -0.01,
          bytes: [...vocab.bytes(id)],
          top: [],
        });
      }
      const junk: GateOutput = {
        text: tokens.map((t) => t.token).join(""),
        tokens,
        finishReason: "stop",
      };
      outputIds.set(junk, ids);
      const v = withTeacher(compareTo(p, junk), p, junk);
      expect(v.status).toBe("fail");
      expect(v.failedAt).toBe(keep);
      expect(["teacher_rank", "teacher_hard_floor", "logprob_error"]).toContain(v.reason);
      failed++;
    }
    expect(failed).toBeGreaterThan(0);
  });
});
