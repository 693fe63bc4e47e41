// The gate against the reference server's synthetic model (no server, no I/O): its "ties" variant
// departs only at near-ties and must never fail; its "diverge" variant departs at clear positions
// and must.
import { describe, expect, it } from "vitest";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import {
  compareRequest,
  DEFAULT_GATE_THRESHOLDS,
  type GateOutput,
  type GateToken,
  gateVerdict,
  type RequestVerdict,
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

const vocab = loadVocabulary();
const encoder = new PromptEncoder(vocab);
const PROMPTS = 24;
const MAX_TOKENS = 128;

const models = new Map(VARIANTS.map((v) => [v, createModel({ vocab, variant: v })]));

function answer(variant: Variant, prompt: number): GateOutput {
  const model = models.get(variant) as SyntheticModel;
  const ids = encoder.encode(
    renderChatPrompt([{ role: "user", content: `Question ${prompt}: why do rivers meander?` }]),
  );
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
    }
    gen.released.length = 0;
  }
  return {
    text: new TextDecoder().decode(Uint8Array.from(bytes)),
    tokens,
    finishReason: gen.finishReason,
  };
}

const references = Array.from({ length: PROMPTS }, (_, p) => answer("none", p));

function judge(variant: Variant): RequestVerdict[] {
  return Array.from({ length: PROMPTS }, (_, p) =>
    compareRequest(
      {
        id: `gate:${p}`,
        maxTokens: MAX_TOKENS,
        fixedLength: false,
        reference: references[p] as GateOutput,
        candidate: answer(variant, p),
      },
      DEFAULT_GATE_THRESHOLDS,
    ),
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
});
