import { describe, expect, it } from "vitest";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { Generation, type GenerationParams } from "../../src/reference/generation.js";
import { createModel } from "../../src/reference/model.js";
import { PromptEncoder, renderChatPrompt } from "../../src/reference/prompt.js";

const vocab = loadVocabulary();
const model = createModel({ vocab });
const encoder = new PromptEncoder(vocab);

const prompt = (i: number) =>
  encoder.encode(renderChatPrompt([{ role: "user", content: `Tell story number ${i}.` }]));

const GREEDY: GenerationParams = {
  maxTokens: 64,
  minTokens: 0,
  ignoreEos: true,
  temperature: 0,
  topP: 1,
  seed: null,
  stop: [],
};

interface Run {
  /** Text released step by step (as a stream would send it). */
  pieces: string[];
  text: string;
  tokens: string[];
  finish: string | null;
  generated: number;
}

function run(p: number, params: Partial<GenerationParams> = {}): Run {
  const gen = new Generation(model, prompt(p), { ...GREEDY, ...params });
  const pieces: string[] = [];
  const tokens: string[] = [];
  let guard = 0;
  while (!gen.finished && guard++ < 10_000) {
    gen.step();
    let piece = "";
    for (const t of gen.released) {
      piece += t.text;
      tokens.push(t.text);
    }
    gen.released.length = 0;
    if (gen.finished) piece += gen.tailText;
    pieces.push(piece);
  }
  return {
    pieces,
    text: pieces.join(""),
    tokens,
    finish: gen.finishReason,
    generated: gen.generated,
  };
}

describe("generation", () => {
  it("honours max_tokens exactly with ignore_eos, finishing with length", () => {
    const r = run(1, { maxTokens: 37 });
    expect(r.tokens).toHaveLength(37);
    expect(r.finish).toBe("length");
    expect(r.tokens.join("")).toBe(r.text);
  });

  it("keeps generating past EOS until min_tokens, then may stop", () => {
    // Find prompts whose greedy answer ends early, then ask for more.
    const early: number[] = [];
    for (let p = 0; early.length < 3 && p < 500; p++) {
      const r = run(p, { ignoreEos: false, maxTokens: 20 });
      if (r.finish === "stop" && r.tokens.length < 15) early.push(p);
    }
    expect(early.length).toBe(3);
    for (const p of early) {
      const free = run(p, { ignoreEos: false, maxTokens: 200 });
      const held = run(p, { ignoreEos: false, minTokens: 40, maxTokens: 200 });
      expect(free.tokens.length).toBeLessThan(15);
      expect(held.tokens.length).toBeGreaterThanOrEqual(40);
      // Identical up to where EOS was masked.
      expect(held.tokens.slice(0, free.tokens.length)).toEqual(free.tokens);
    }
  });

  it("ends right before a stop string made of whole tokens, holding back a partial match", () => {
    for (let p = 0; p < 20; p++) {
      const full = run(p, { maxTokens: 60 });
      // A two-token stop string from the middle of the answer.
      const stop = (full.tokens[20] as string) + (full.tokens[21] as string);
      const expected = full.text.slice(0, full.text.indexOf(stop));
      const r = run(p, { maxTokens: 60, stop: ["zzz-never", stop] });
      expect(r.text).toBe(expected);
      expect(r.finish).toBe("stop");
      // Never streamed a piece of the stop string that had to be taken back.
      expect(r.pieces.join("")).toBe(expected);
      expect(r.tokens.join("")).toBe(expected);
    }
  });

  it("cuts inside a token when a stop string starts there; that piece is text only", () => {
    const full = run(3, { maxTokens: 60 });
    const word = full.tokens.find((t, i) => i > 5 && /^ [a-z]{5,}$/.test(t)) as string;
    const stop = word.slice(3); // starts inside the token
    const at = full.text.indexOf(stop);
    const r = run(3, { maxTokens: 60, stop: [stop] });
    expect(r.text).toBe(full.text.slice(0, at));
    expect(r.finish).toBe("stop");
    // The whole tokens before the cut, plus the partial text of the cut token.
    expect(r.text.startsWith(r.tokens.join(""))).toBe(true);
    expect(r.text.length - r.tokens.join("").length).toBeGreaterThan(0);
  });

  it("ignores stop strings until min_tokens, like vLLM", () => {
    const full = run(4, { maxTokens: 60 });
    const stop = full.tokens[3] as string;
    const first = full.text.indexOf(stop);
    const r = run(4, { maxTokens: 60, stop: [stop], minTokens: 30 });
    expect(r.tokens.length).toBeGreaterThanOrEqual(29);
    expect(r.text.length).toBeGreaterThan(first);
  });

  it("samples reproducibly with a seed, and top_p near 0 is greedy", () => {
    const a = run(5, { temperature: 0.9, seed: 42 });
    const b = run(5, { temperature: 0.9, seed: 42 });
    const c = run(5, { temperature: 0.9, seed: 43 });
    const greedy = run(5);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
    expect(a.tokens).not.toEqual(greedy.tokens);
    expect(run(5, { temperature: 1, topP: 0.01, seed: 1 }).tokens).toEqual(greedy.tokens);
    // Unseeded sampling differs between requests.
    expect(run(5, { temperature: 1 }).tokens).not.toEqual(run(5, { temperature: 1 }).tokens);
  });
});
