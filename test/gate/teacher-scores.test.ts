// From vLLM's prompt_logprobs to the teacher's scores, and a forked request's TeacherInput.
import { describe, expect, it } from "vitest";
import { CompletionResponseSchema, type PromptLogprobs } from "../../src/contract/scoring.js";
import {
  type Fork,
  scoresFromPromptLogprobs,
  TeacherScoresError,
  teacherInput,
} from "../../src/gate/index.js";

const EOS = 151645;

/** prompt_logprobs for ids [10, 11, 12, 13, EOS] as vLLM shapes them. */
function promptLogprobs(): PromptLogprobs {
  const body = {
    id: "c",
    object: "text_completion",
    created: 1,
    model: "m",
    choices: [
      {
        index: 0,
        text: "",
        finish_reason: "length",
        prompt_logprobs: [
          null,
          { "11": { logprob: -0.1, rank: 1, decoded_token: " a" } },
          {
            "12": { logprob: -2, rank: 3, decoded_token: " b" },
            "40": { logprob: -0.3, rank: 1, decoded_token: " c" },
            [String(EOS)]: { logprob: -1.5, rank: 2, decoded_token: "<|im_end|>" },
          },
          {
            "13": { logprob: -14, rank: 900, decoded_token: " d" },
            "41": { logprob: -0.05, rank: 1, decoded_token: " e" },
          },
          {
            [String(EOS)]: { logprob: -0.7, rank: 2, decoded_token: "<|im_end|>" },
            "151643": { logprob: -0.6, rank: 1, decoded_token: "<|endoftext|>" },
          },
        ],
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
  };
  const pl = CompletionResponseSchema.parse(body).choices[0]?.prompt_logprobs;
  if (!pl) throw new Error("no prompt_logprobs");
  return pl;
}
const IDS = [10, 11, 12, 13, EOS];

describe("scoresFromPromptLogprobs", () => {
  it("gives each token's own logprob and rank, the position's top-1 and its best end of sequence", () => {
    const s = scoresFromPromptLogprobs(promptLogprobs(), IDS, 2, [EOS, 151643]);
    expect(s).toEqual([
      { id: 12, token: " b", logprob: -2, rank: 3, top1: -0.3, eos: -1.5 },
      { id: 13, token: " d", logprob: -14, rank: 900, top1: -0.05, eos: null },
      { id: EOS, token: "<|im_end|>", logprob: -0.7, rank: 2, top1: -0.6, eos: -0.6 },
    ]);
  });

  it("throws a clear error on answers that do not fit the prompt", () => {
    const pl = promptLogprobs();
    expect(() => scoresFromPromptLogprobs(pl, IDS.slice(0, 4), 1, [EOS])).toThrow(
      new TeacherScoresError("prompt_logprobs has 5 entries for a prompt of 4 tokens"),
    );
    expect(() => scoresFromPromptLogprobs(pl, IDS, 0, [EOS])).toThrow(
      "cannot score from position 0 of 5 (the first token has no score)",
    );
    expect(() => scoresFromPromptLogprobs(pl, [10, 11, 99, 13, EOS], 1, [EOS])).toThrow(
      "prompt_logprobs position 2 does not list its token 99",
    );
  });
});

describe("teacherInput", () => {
  const fork: Fork = {
    position: 1,
    judgedBy: "teacher",
    candidateTokens: 3,
    stopped: true,
    ignoreEos: false,
  };
  const scores = () => scoresFromPromptLogprobs(promptLogprobs(), IDS, 2, [EOS]);

  it("splits the appended end of sequence off as the stop and pairs the claimed logprobs", () => {
    const input = teacherInput(fork, scores(), [-2.01, -13.9], []);
    expect(input.tokens.map((t) => [t.id, t.claimed])).toEqual([
      [12, -2.01],
      [13, -13.9],
    ]);
    expect(input.stop?.id).toBe(EOS);
    expect(input.control).toEqual([]);
    const cut = teacherInput(
      { ...fork, candidateTokens: 4, stopped: false },
      scores(),
      [0, 0, 0],
      [],
    );
    expect(cut.stop).toBeNull();
    expect(cut.tokens).toHaveLength(3);
  });

  it("throws when the counts do not fit the fork", () => {
    expect(() => teacherInput(fork, scores().slice(1), [0, 0], [])).toThrow(
      "2 teacher scores for 2 candidate tokens from token 1 and its end of sequence",
    );
    expect(() => teacherInput(fork, scores(), [0], [])).toThrow(
      "1 claimed logprobs for 2 candidate tokens",
    );
  });
});
