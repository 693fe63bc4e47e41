// The teacher pass's pure parts: a vLLM prompt_logprobs position turned into the gate's teacher
// score (with the end of sequence masked where the request masked it), and an answer's tokens
// turned into vocabulary ids by their bytes.
import { describe, expect, it } from "vitest";
import type { PromptPosition } from "../../src/contract/scoring.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";
import { eosIds, outputIds, scoreAt } from "../../src/eval/teacher.js";
import type { GateOutput } from "../../src/gate/index.js";
import { TeacherError } from "../../src/harness/teacher-client.js";

const vocab = loadVocabulary();
const IM_END = 151645;
const ENDOFTEXT = 151643;
const HELLO = vocab.idOfText(" Hello") as number;
const DOT = vocab.idOfText(".") as number;

/** A position where the model would end (EOS top-1), " Hello" second and "." third. */
const atAnEnd: PromptPosition = {
  [IM_END]: { logprob: -0.03, rank: 1, decoded_token: "<|im_end|>" },
  [HELLO]: { logprob: -4.123456789, rank: 2, decoded_token: " Hello" },
  [DOT]: { logprob: -4.2, rank: 3, decoded_token: "." },
};

describe("the teacher's score of a token", () => {
  it("is the token's logprob and rank, the position's top-1 and its best end of sequence", () => {
    expect(scoreAt(atAnEnd, HELLO, [IM_END, ENDOFTEXT], vocab, false)).toEqual({
      id: HELLO,
      token: " Hello",
      logprob: -4.12346,
      rank: 2,
      top1: -0.03,
      eos: -0.03,
    });
  });

  it("ranks among the other tokens where the request masked the end of sequence (ignore_eos)", () => {
    // The model could not stop there, so " Hello" was its choice: rank 1, its own top-1. The
    // logprob stays the teacher's (vLLM reports logprobs before masking).
    expect(scoreAt(atAnEnd, HELLO, [IM_END, ENDOFTEXT], vocab, true)).toMatchObject({
      logprob: -4.12346,
      rank: 1,
      top1: -4.12346,
      eos: -0.03,
    });
    expect(scoreAt(atAnEnd, DOT, [IM_END, ENDOFTEXT], vocab, true)).toMatchObject({
      rank: 2,
      top1: -4.12346,
    });
  });

  it("scores an appended end of sequence as itself", () => {
    expect(scoreAt(atAnEnd, IM_END, [IM_END, ENDOFTEXT], vocab, false)).toMatchObject({
      rank: 1,
      logprob: -0.03,
      top1: -0.03,
    });
  });

  it("names the token by the vocabulary when the teacher does not decode it", () => {
    const p: PromptPosition = { [DOT]: { logprob: -0.5, rank: 1 } };
    expect(scoreAt(p, DOT, [IM_END], vocab, false)).toMatchObject({ token: ".", eos: null });
  });

  it("fails with a reason where the teacher does not list the token", () => {
    expect(() => scoreAt(atAnEnd, 42, [IM_END], vocab, false)).toThrow(
      new TeacherError("the teacher's prompt_logprobs do not list token 42 at its position"),
    );
    expect(() => scoreAt(null, DOT, [IM_END], vocab, false)).toThrow(TeacherError);
  });
});

describe("an answer's token ids", () => {
  const output = (tokens: { token: string; bytes: number[] | null }[]): GateOutput => ({
    text: "",
    finishReason: "stop",
    tokens: tokens.map((t) => ({ ...t, logprob: -1, top: [] })),
  });

  it("are the vocabulary's ids of each entry's bytes, a partial character included", () => {
    const euro = [226, 130, 172];
    const first = vocab.idOfBytes(Uint8Array.from(euro.slice(0, 2))) as number;
    const last = vocab.idOfBytes(Uint8Array.from(euro.slice(2))) as number;
    expect(
      outputIds(
        output([
          { token: " Hello", bytes: null },
          { token: "\\xe2\\x82", bytes: euro.slice(0, 2) },
          { token: "bytes:\\xac", bytes: null },
          { token: ".", bytes: [46] },
        ]),
        vocab,
      ),
    ).toEqual([HELLO, first, last, DOT]);
  });

  it("fail with a reason for an entry that is not one vocabulary token", () => {
    expect(() => outputIds(output([{ token: " Hello world", bytes: null }]), vocab)).toThrow(
      /output token 0 " Hello world" is not one vocabulary token/,
    );
  });

  it("end with the chat's end of sequence, found in the vocabulary", () => {
    expect(eosIds(vocab)).toEqual([IM_END, ENDOFTEXT]);
    expect(() => eosIds(vocab, ["<|no such token|>"])).toThrow(TeacherError);
  });
});
