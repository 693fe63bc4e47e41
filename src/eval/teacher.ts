// The teacher pass (DESIGN §2.2 step 4): after every candidate, the pinned baseline spec is started
// once more (untimed) and scores, by teacher forcing, every candidate request that forked from the
// reference — the rendered prompt's ids (the teacher's own /tokenize), then the candidate's output
// ids (each logprobs entry is one vocabulary token, mapped by its bytes), then the end of sequence
// where it stopped — and, as the stock control, the reference's own output of the same request.
// What it hands the gate is one TeacherInput per forked request; a teacher that fails to start or
// to answer fails the pass (the validator's side, never a candidate's).
import { Pool } from "undici";
import { forEachLimited } from "../concurrency.js";
import {
  MAX_PROMPT_LOGPROBS,
  type PromptLogprobs,
  type PromptPosition,
} from "../contract/scoring.js";
import type { Vocabulary } from "../contract/tokenizer.js";
import {
  DEFAULT_EOS_TOKENS,
  type GateOutput,
  type RequestVerdict,
  type TeacherInput,
  type TeacherScore,
} from "../gate/index.js";
import type { Prompt } from "../harness/prompts.js";
import { round3 } from "../harness/stats.js";
import { TeacherClient, TeacherError } from "../harness/teacher-client.js";
import { entryBytes } from "../harness/tokens.js";
import type { ServerSpec } from "../runtime/spec.js";
import { roundLogprob } from "./outputs.js";
import type { TeacherPass } from "./report.js";
import {
  msSince,
  type ServerStartOptions,
  type StartProgress,
  startServer,
  TEACHER_SERVER,
} from "./server.js";

/** Teacher calls in flight at once: a prefill each, so a few keep the teacher's batch busy. */
export const TEACHER_CONCURRENCY = 8;

export type TeacherProgress =
  | { type: "teacher-start"; requests: number }
  | { type: "teacher-end"; failure: TeacherPass["failure"]; requests: number; wallMs: number };

export interface TeacherPassOptions extends Omit<ServerStartOptions, "onProgress"> {
  vocab: Vocabulary;
  onProgress?: (e: StartProgress | TeacherProgress) => void;
}

/** One forked request of one candidate: its verdict before the teacher, and its answer. */
export interface TeacherJob {
  verdict: RequestVerdict;
  output: GateOutput;
}

export interface TeacherPassRun {
  pass: TeacherPass;
  /** The teacher's input per job, in job order (empty unless the pass is "ok"). */
  inputs: TeacherInput[];
}

/** The vocabulary id of a special token given by its text. */
function specialId(vocab: Vocabulary, text: string): number | undefined {
  for (const id of vocab.specialIds) if (vocab.text(id) === text) return id;
  return undefined;
}

/** The model's end-of-sequence ids (the first is the chat's, appended after a stop). */
export function eosIds(vocab: Vocabulary, tokens: readonly string[] = DEFAULT_EOS_TOKENS) {
  const ids = tokens.flatMap((t) => specialId(vocab, t) ?? []);
  if (ids.length === 0)
    throw new TeacherError(
      `the vocabulary has none of the end-of-sequence tokens ${tokens.join(", ")}`,
    );
  return ids;
}

/** The output's token ids: each logprobs entry is one vocabulary token, named by its bytes. */
export function outputIds(output: GateOutput, vocab: Vocabulary): number[] {
  return (output.tokens ?? []).map((t, i) => {
    const r = entryBytes(t, vocab);
    const id = "bytes" in r ? vocab.idOfBytes(r.bytes) : undefined;
    if (id === undefined)
      throw new TeacherError(
        `output token ${i} ${JSON.stringify(t.token)} is not one vocabulary token`,
      );
    return id;
  });
}

/**
 * The teacher's score of token `id` at one prompt position (vLLM lists it with the top k). Where
 * the request masked the end of sequence (`ignore_eos`, fixed-length phases) the model could not
 * choose it there, so the top-1 and the rank are among the other tokens; the logprobs stay the
 * teacher's own (vLLM reports them before any masking).
 */
export function scoreAt(
  position: PromptPosition | null | undefined,
  id: number,
  eos: readonly number[],
  vocab: Vocabulary,
  maskEos: boolean,
): TeacherScore {
  const own = position?.[String(id)];
  if (!position || !own)
    throw new TeacherError(`the teacher's prompt_logprobs do not list token ${id} at its position`);
  let top1 = Number.NEGATIVE_INFINITY;
  let best: number | null = null;
  let rank = own.rank;
  for (const [key, e] of Object.entries(position)) {
    if (eos.includes(Number(key))) {
      if (best === null || e.logprob > best) best = e.logprob;
      if (maskEos) {
        if (key !== String(id) && e.rank < own.rank) rank--;
        continue;
      }
    }
    top1 = Math.max(top1, e.logprob);
  }
  return {
    id,
    token: own.decoded_token ?? vocab.text(id) ?? "",
    logprob: roundLogprob(own.logprob),
    rank,
    top1: roundLogprob(Math.max(top1, own.logprob)),
    eos: best === null ? null : roundLogprob(best),
  };
}

/** Scores of `ids` placed after a prompt of `promptLength` tokens, from prompt_logprobs. */
function scoresAfter(
  lps: PromptLogprobs,
  promptLength: number,
  ids: readonly number[],
  eos: readonly number[],
  vocab: Vocabulary,
  maskEos: boolean,
): TeacherScore[] {
  return ids.map((id, j) => scoreAt(lps[promptLength + j], id, eos, vocab, maskEos));
}

/** The pass of a session that needed no teacher: nothing forked. */
export const skippedTeacherPass = (): TeacherPass => ({
  status: "skipped",
  failure: null,
  requests: 0,
  sequences: 0,
  scoredTokens: 0,
  timing: { startMs: 0, healthWaitMs: 0, scoringMs: 0, wallMs: 0 },
  logs: "",
});

/**
 * Scores every job with a teacher started from `spec`; skipped (no server started) when there is
 * no job. `prompts` and `reference` are keyed by request key, as the verdicts' ids.
 */
export async function runTeacherPass(
  opts: TeacherPassOptions,
  spec: ServerSpec,
  prompts: ReadonlyMap<string, Prompt>,
  reference: ReadonlyMap<string, GateOutput>,
  jobs: readonly TeacherJob[],
): Promise<TeacherPassRun> {
  const pass = skippedTeacherPass();
  if (jobs.length === 0) return { pass, inputs: [] };
  const t0 = performance.now();
  pass.requests = jobs.length;
  const started = await startServer(opts, TEACHER_SERVER, spec, "teacher");
  pass.timing.startMs = started.timing.startMs;
  pass.timing.healthWaitMs = started.timing.healthWaitMs;
  const inputs: TeacherInput[] = new Array(jobs.length);
  try {
    if (started.failure || !started.server) {
      pass.status = "failed";
      pass.failure = {
        stage: "teacher",
        kind: started.failure?.kind === "cancelled" ? "cancelled" : "teacher",
        message: `the teacher did not start: ${started.failure?.message ?? "no server"}`,
      };
      return { pass, inputs: [] };
    }
    opts.onProgress?.({ type: "teacher-start", requests: jobs.length });
    const t1 = performance.now();
    try {
      await scoreJobs(opts, started.server.origin, prompts, reference, jobs, inputs, pass);
      pass.status = "ok";
    } catch (err) {
      if (!(err instanceof TeacherError)) throw err;
      pass.status = "failed";
      pass.failure = {
        stage: "teacher",
        kind: opts.signal?.aborted ? "cancelled" : "teacher",
        message: opts.signal?.aborted
          ? "the session was cancelled"
          : `the teacher failed to score: ${err.message}`,
      };
    }
    pass.timing.scoringMs = msSince(t1);
  } finally {
    await started.server?.stop().catch(() => {});
    pass.logs = started.server?.logs() ?? "";
    pass.timing.wallMs = msSince(t0);
    opts.onProgress?.({
      type: "teacher-end",
      failure: pass.failure,
      requests: jobs.length,
      wallMs: pass.timing.wallMs,
    });
  }
  return { pass, inputs: pass.status === "ok" ? inputs : [] };
}

async function scoreJobs(
  opts: TeacherPassOptions,
  origin: string,
  prompts: ReadonlyMap<string, Prompt>,
  reference: ReadonlyMap<string, GateOutput>,
  jobs: readonly TeacherJob[],
  inputs: TeacherInput[],
  pass: TeacherPass,
): Promise<void> {
  const { arena, vocab } = opts;
  const dispatcher = new Pool(origin, { connections: TEACHER_CONCURRENCY });
  const client = new TeacherClient({
    dispatcher,
    origin,
    model: arena.model.servedModelName,
    timeoutMs: arena.workload.gate.requestDeadlineMs,
  });
  const eos = eosIds(vocab);
  // vLLM lists the top k and the token itself. An end of sequence the rules act on ranks above a
  // token of rank ≤ maxRank, so k = maxRank lists it; where it is masked, the best maxRank other
  // tokens are listed with eos.length more.
  const k = Math.min(MAX_PROMPT_LOGPROBS, arena.gate.teacher.maxRank + eos.length);
  const score = async (ids: number[], scored: number) => {
    if (opts.signal?.aborted) throw new TeacherError("cancelled");
    const lps = await client.score(ids, k);
    pass.sequences++;
    pass.scoredTokens += scored;
    return lps;
  };
  // Per request key, shared by every candidate that forked there: the prompt's ids, and the
  // control (the reference's whole output scored; each fork takes its part from its position).
  const promptIds = new Map<string, Promise<number[]>>();
  const controls = new Map<string, Promise<TeacherScore[]>>();
  const promptOf = (id: string) => {
    let p = promptIds.get(id);
    if (!p) {
      const prompt = prompts.get(id);
      if (!prompt) throw new Error(`no prompt for ${id}`);
      p = client.tokenize(prompt.messages).then((ids) => {
        if (ids.length === 0) throw new TeacherError(`/tokenize gave no tokens for ${id}'s prompt`);
        return ids;
      });
      promptIds.set(id, p);
    }
    return p;
  };
  const controlOf = (id: string, prompt: number[], maskEos: boolean) => {
    let c = controls.get(id);
    if (!c) {
      const ref = reference.get(id);
      if (!ref) throw new Error(`no reference answer for ${id}`);
      const ids = outputIds(ref, vocab);
      c =
        ids.length === 0
          ? Promise.resolve([])
          : score([...prompt, ...ids], ids.length).then((lps) =>
              scoresAfter(lps, prompt.length, ids, eos, vocab, maskEos),
            );
      controls.set(id, c);
    }
    return c;
  };
  // Promises made here and not awaited yet must not go unhandled when another job fails first.
  const settle = <T>(p: Promise<T>) => {
    p.catch(() => {});
    return p;
  };
  try {
    await forEachLimited(jobs, TEACHER_CONCURRENCY, async (job, i) => {
      const fork = job.verdict.fork;
      if (!fork) throw new Error(`${job.verdict.id} did not fork`);
      const prompt = await settle(promptOf(job.verdict.id));
      const control = settle(controlOf(job.verdict.id, prompt, fork.ignoreEos));
      const ids = outputIds(job.output, vocab);
      const seq = [...prompt, ...ids];
      if (fork.stopped) seq.push(eos[0] as number);
      const lps = await score(seq, seq.length - prompt.length);
      const scores = scoresAfter(lps, prompt.length, ids, eos, vocab, fork.ignoreEos);
      const claimed = job.output.tokens ?? [];
      inputs[i] = {
        tokens: scores.slice(fork.position).map((s, j) => ({
          ...s,
          claimed: (claimed[fork.position + j] as { logprob: number }).logprob,
        })),
        stop: fork.stopped
          ? scoreAt(lps[seq.length - 1], eos[0] as number, eos, vocab, false)
          : null,
        control: (await control).slice(fork.position),
      };
    });
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}

/** The teacher pass's share of a session's wall time. */
export const teacherShare = (pass: TeacherPass, wallMs: number) =>
  wallMs > 0 ? round3(pass.timing.wallMs / wallMs) : 0;
