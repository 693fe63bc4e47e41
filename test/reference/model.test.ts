import { describe, expect, it } from "vitest";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { Generation, type GenerationParams } from "../../src/reference/generation.js";
import {
  createModel,
  type Distribution,
  type SyntheticModel,
  TIE_GAP,
  TOP_K,
  type Variant,
} from "../../src/reference/model.js";
import { PromptEncoder, renderChatPrompt } from "../../src/reference/prompt.js";

const vocab = loadVocabulary();
const encoder = new PromptEncoder(vocab);
const models = new Map<Variant, SyntheticModel>();
function model(variant: Variant = "none"): SyntheticModel {
  let m = models.get(variant);
  if (!m) {
    m = createModel({ vocab, variant });
    models.set(variant, m);
  }
  return m;
}

function prompt(i: number): number[] {
  return encoder.encode(
    renderChatPrompt([
      { role: "user", content: `Question ${i}: how do tides work near a harbor?` },
    ]),
  );
}

const GREEDY: GenerationParams = {
  maxTokens: 128,
  minTokens: 0,
  ignoreEos: false,
  temperature: 0,
  topP: 1,
  seed: null,
  stop: [],
};

interface Step {
  id: number;
  dist: Distribution;
}

function rollout(m: SyntheticModel, ids: number[], params: Partial<GenerationParams> = {}): Step[] {
  const gen = new Generation(m, ids, { ...GREEDY, ...params });
  const out: Step[] = [];
  while (!gen.finished) {
    gen.step();
    for (const t of gen.released) out.push({ id: t.id, dist: t.dist });
    gen.released.length = 0;
  }
  return out;
}

function at(steps: Step[], i: number): Step {
  const s = steps[i];
  if (!s) throw new Error(`no step ${i}`);
  return s;
}

const gap = (d: Distribution) => (d.logprobs[0] as number) - (d.logprobs[1] as number);
const top = (d: Distribution) => ({
  ids: Array.from(d.ids).slice(0, TOP_K),
  logprobs: Array.from(d.logprobs).slice(0, TOP_K),
  text: d.logprobText.slice(0, TOP_K),
});

describe("synthetic model", () => {
  it("is a pure function of the context: separate instances and incremental states agree", () => {
    const a = createModel({ vocab });
    const b = createModel({ vocab });
    const ids = prompt(1);
    let state = a.start(ids);
    for (let i = 0; i < 50; i++) {
      const da = a.next(state, true);
      const db = b.distribution(ids);
      expect(top(da)).toEqual(top(db));
      const id = da.ids[0] as number;
      ids.push(id);
      state = a.advance(state, id);
    }
    // Another seed is another model.
    const c = createModel({ vocab, seed: 7 });
    expect(top(c.distribution(prompt(1)))).not.toEqual(top(a.distribution(prompt(1))));
  });

  it("has normalized top-K distributions, ~3% near-ties and clear gaps elsewhere", () => {
    let positions = 0;
    let ties = 0;
    const problems: string[] = [];
    for (let p = 0; p < 60; p++) {
      for (const { dist } of rollout(model(), prompt(p), { ignoreEos: true })) {
        positions++;
        const ids = Array.from(dist.ids).slice(0, TOP_K);
        if (new Set(ids).size !== TOP_K) problems.push(`repeated ids ${ids}`);
        let mass = 0;
        for (let k = 0; k < TOP_K; k++) {
          const lp = dist.logprobs[k] as number;
          if (!(lp <= 0)) problems.push(`logprob ${lp} > 0`);
          if (String(lp) !== dist.logprobText[k])
            problems.push(`text ${dist.logprobText[k]} != ${lp}`);
          // Exact ties: ranks 1 and 2 may be bit-identical, every later rank is strictly lower.
          const prev = dist.logprobs[k - 1] as number;
          if (k > 0 && !(lp < prev || (k === 1 && lp === prev))) problems.push("not descending");
          mass += Math.exp(lp);
        }
        if (!(Math.log(mass) < 0)) problems.push(`logsumexp ${Math.log(mass)}`);
        if (gap(dist) < TIE_GAP) ties++;
        else if (gap(dist) < 0.04) problems.push(`gap ${gap(dist)} neither tie nor clear`);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(positions).toBe(60 * 128);
    expect(ties / positions).toBeGreaterThan(0.015);
    expect(ties / positions).toBeLessThan(0.05);
  });

  it("ends answers naturally after a few hundred tokens at most, and never with an empty one", () => {
    const lengths: number[] = [];
    for (let p = 0; p < 150; p++)
      lengths.push(rollout(model(), prompt(p), { maxTokens: 4000 }).length);
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(mean).toBeGreaterThan(80);
    expect(mean).toBeLessThan(400);
    expect(Math.min(...lengths)).toBeGreaterThan(0);
  });

  it("writes text that re-tokenizes to the same tokens", () => {
    let same = 0;
    for (let p = 0; p < 40; p++) {
      const ids = rollout(model(), prompt(p)).map((s) => s.id);
      const text = ids.map((id) => vocab.text(id)).join("");
      if (JSON.stringify(vocab.encode(text)) === JSON.stringify(ids)) same++;
    }
    expect(same).toBeGreaterThanOrEqual(38);
  });

  it("masks EOS when asked and renormalizes the rest", () => {
    const m = model();
    let masked = 0;
    for (let p = 0; p < 40; p++) {
      const ids = prompt(p);
      let state = m.start(ids);
      for (let i = 0; i < 100; i++) {
        const free = m.next(state, true);
        const held = m.next(state, false);
        const heldIds = Array.from(held.ids).slice(0, TOP_K);
        expect(heldIds).not.toContain(m.eosId);
        expect(heldIds).toHaveLength(TOP_K);
        if (Array.from(free.ids).slice(0, TOP_K).includes(m.eosId)) masked++;
        let mass = 0;
        for (let k = 0; k < TOP_K; k++) mass += Math.exp(held.logprobs[k] as number);
        expect(mass).toBeLessThanOrEqual(1);
        state = m.advance(state, held.ids[0] as number);
      }
    }
    expect(masked).toBeGreaterThan(0);
  });

  it('variant "ties" departs from the reference only at near-ties, by taking the runner-up', () => {
    let diverged = 0;
    for (let p = 0; p < 60; p++) {
      const ref = rollout(model(), prompt(p), { ignoreEos: true });
      const alt = rollout(model("ties"), prompt(p), { ignoreEos: true });
      const d = ref.findIndex((s, i) => s.id !== alt[i]?.id);
      const end = d === -1 ? ref.length : d;
      for (let i = 0; i < end; i++) expect(top(at(alt, i).dist)).toEqual(top(at(ref, i).dist));
      if (d === -1) continue;
      diverged++;
      const r = at(ref, d).dist;
      expect(gap(r)).toBeLessThan(TIE_GAP);
      expect(at(alt, d).id).toBe(r.ids[1]);
    }
    expect(diverged).toBeGreaterThan(30);
  });

  it('variant "diverge" departs from the reference at positions with a clear top-1', () => {
    let clear = 0;
    for (let p = 0; p < 60; p++) {
      const ref = rollout(model(), prompt(p), { ignoreEos: true });
      const alt = rollout(model("diverge"), prompt(p), { ignoreEos: true });
      const d = ref.findIndex((s, i) => s.id !== alt[i]?.id);
      if (d === -1) continue;
      for (let i = 0; i < d; i++) expect(at(alt, i).id).toBe(at(ref, i).id);
      const r = at(ref, d).dist;
      if (gap(r) >= TIE_GAP) clear++;
      expect(at(alt, d).id).toBe(r.ids[1]);
    }
    expect(clear).toBeGreaterThan(20);
  });
});

describe("prompt encoder", () => {
  it("agrees with the library tokenizer", () => {
    const texts = [
      renderChatPrompt([
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello, world! It's 2024; naïve café — ünïcödé 日本語のテキスト" },
        { role: "assistant", content: "I'll answer: we've 3.14159 and  two  spaces\n\n\n" },
        {
          role: "user",
          content: [
            { type: "text", text: "parts " },
            { type: "text", text: "joined" },
          ],
        },
      ]),
      '<tool_call>{"name": "f"}</tool_call> DON\'T   trailing   \t\ttabs\r\nCRLF 🙂🙂',
      "x".repeat(3000),
      "",
    ];
    for (const t of texts) expect(encoder.encode(t)).toEqual(vocab.encode(t));
  });

  it("renders the Qwen2.5 chat template with its default system prompt", () => {
    const text = renderChatPrompt([{ role: "user", content: "hi" }]);
    expect(text).toBe(
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(renderChatPrompt([{ role: "developer", content: "s" }])).toMatch(
      /^<\|im_start\|>system\ns/,
    );
  });
});
