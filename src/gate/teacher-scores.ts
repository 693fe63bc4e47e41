// From the teacher's wire answer to the gate's input: vLLM's prompt_logprobs over a sequence of
// token ids becomes one TeacherScore per scored token, and a forked request's scores become the
// TeacherInput `judge` takes. Pure; a malformed answer throws TeacherScoresError with what is wrong.
import type { PromptLogprobs, PromptPosition } from "../contract/scoring.js";
import type { Fork, TeacherInput, TeacherScore } from "./types.js";

export class TeacherScoresError extends Error {}

/**
 * The teacher's scores of `ids[from]`, `ids[from + 1]`, … (the token ids sent as the prompt, whose
 * prompt_logprobs came back): each token's own logprob and rank (vLLM lists the prompt token at
 * every position, inside the top k or not), the best logprob listed there (its top-1), and the best
 * end-of-sequence logprob listed there (`eosIds`: the model's end-of-sequence token ids).
 */
export function scoresFromPromptLogprobs(
  promptLogprobs: PromptLogprobs,
  ids: readonly number[],
  from: number,
  eosIds: readonly number[],
): TeacherScore[] {
  if (promptLogprobs.length !== ids.length)
    throw new TeacherScoresError(
      `prompt_logprobs has ${promptLogprobs.length} entries for a prompt of ${ids.length} tokens`,
    );
  if (!(Number.isInteger(from) && from >= 1 && from <= ids.length))
    throw new TeacherScoresError(
      `cannot score from position ${from} of ${ids.length} (the first token has no score)`,
    );
  const out: TeacherScore[] = new Array(ids.length - from);
  for (let j = from; j < ids.length; j++) {
    const id = ids[j] as number;
    const position = promptLogprobs[j] as PromptPosition;
    const own = position[String(id)];
    if (own === undefined)
      throw new TeacherScoresError(`prompt_logprobs position ${j} does not list its token ${id}`);
    let top1 = own.logprob;
    for (const key in position)
      top1 = Math.max(top1, (position[key] as { logprob: number }).logprob);
    let eos: number | null = null;
    for (const e of eosIds) {
      const entry = position[String(e)];
      if (entry !== undefined) eos = Math.max(eos ?? entry.logprob, entry.logprob);
    }
    out[j - from] = {
      id,
      token: own.decoded_token ?? "",
      logprob: own.logprob,
      rank: own.rank,
      top1,
      eos,
    };
  }
  return out;
}

/**
 * A forked request's TeacherInput. `candidate`: the teacher's scores of the candidate's tokens from
 * the fork on, followed (where the candidate stopped) by the score of the end-of-sequence token
 * appended after them; `claimed`: the candidate's own logprobs of those tokens; `control`: the
 * teacher's scores of the reference's tokens from the same position on.
 */
export function teacherInput(
  fork: Fork,
  candidate: readonly TeacherScore[],
  claimed: readonly number[],
  control: readonly TeacherScore[],
): TeacherInput {
  const n = fork.candidateTokens - fork.position;
  const want = n + (fork.stopped ? 1 : 0);
  if (candidate.length !== want)
    throw new TeacherScoresError(
      `${candidate.length} teacher scores for ${n} candidate tokens from token ${fork.position}${fork.stopped ? " and its end of sequence" : ""}`,
    );
  if (claimed.length !== n)
    throw new TeacherScoresError(`${claimed.length} claimed logprobs for ${n} candidate tokens`);
  return {
    tokens: candidate.slice(0, n).map((s, i) => ({ ...s, claimed: claimed[i] as number })),
    stop: fork.stopped ? (candidate[n] as TeacherScore) : null,
    control: [...control],
  };
}
