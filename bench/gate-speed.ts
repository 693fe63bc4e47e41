// How fast the gate judges a session's worth of answers, and whether its time grows linearly: the
// gate pass's comparison (requests × 256 tokens × 20 top_logprobs) and the teacher's per-token
// rules with the session verdict (forked requests × 256 teacher-scored tokens), each at N and 2N
// requests in this one run. A ratio near 2.0 is linear; far above it would be a quadratic walk.
// Usage: node dist/bench/gate-speed.js [--requests N] (default 1000)
import { compareRequest, gateMargins, gateVerdict, judge } from "../src/gate/index.js";
import { DEFAULT_GATE_THRESHOLDS as T } from "../src/gate/thresholds.js";
import type { GateOutput, GateToken, RequestVerdict, ScoredInput } from "../src/gate/types.js";
import { formatTable } from "../src/table.js";

const TOKENS = 256;

function token(text: string, logprob: number, top: [string, number][]): GateToken {
  return {
    token: text,
    logprob,
    bytes: [...Buffer.from(text)],
    top: [
      { token: text, logprob, bytes: [...Buffer.from(text)] },
      ...top.map(([t, l]) => ({ token: t, logprob: l, bytes: [...Buffer.from(t)] })),
    ],
  };
}

function output(tokens: GateToken[], finishReason: string): GateOutput {
  return { text: tokens.map((t) => t.token).join(""), tokens, finishReason };
}

/** `n` fixed-length requests where the candidate equals the reference, with 20-entry top lists. */
function comparisons(n: number) {
  const words = Array.from({ length: 400 }, (_, i) => ` w${i}`);
  const at = (i: number): GateToken =>
    token(
      words[i % 400] as string,
      -0.01 * (i % 7),
      Array.from({ length: 19 }, (_, k) => [words[(i + k + 1) % 400] as string, -1 - k * 0.5]),
    );
  const pools = [0, 1].map(() => Array.from({ length: 1024 }, (_, i) => at(i)));
  return Array.from({ length: n }, (_, r) => {
    const side = (pool: GateToken[]) =>
      output(
        Array.from({ length: TOKENS }, (_, i) => pool[(r * 7 + i) % 1024] as GateToken),
        "length",
      );
    return {
      id: `throughput:${r}`,
      maxTokens: TOKENS,
      fixedLength: true,
      reference: side(pools[0] as GateToken[]),
      candidate: side(pools[1] as GateToken[]),
    };
  });
}

/** A request that forks at its first token (no top lists at hand), awaiting the teacher. */
function forked(): RequestVerdict {
  const bare = (ts: GateToken[]) => ts.map((t) => ({ ...t, top: [] }));
  const ref = output(
    bare(Array.from({ length: TOKENS }, (_, i) => token(` a${i}`, -0.05, []))),
    "length",
  );
  const cand = output(
    bare(Array.from({ length: TOKENS }, (_, i) => token(` y${i}`, -0.5, []))),
    "length",
  );
  const v = compareRequest(
    { id: "x", maxTokens: TOKENS, fixedLength: true, reference: ref, candidate: cand },
    T,
  );
  if (v.status !== "forked") throw new Error(`bench input did not fork: ${v.status}`);
  return v;
}

function timed(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

function gatePass(n: number): number {
  const reqs = comparisons(n);
  return timed(() => {
    const g = gateVerdict(
      reqs.map((r) => compareRequest(r, T)),
      T,
    );
    if (!g.passed) throw new Error("bench input failed the gate");
  });
}

function teacherPass(n: number): number {
  const pre = forked();
  const tokens: ScoredInput[] = Array.from({ length: TOKENS }, (_, i) => ({
    id: i,
    token: ` y${i}`,
    logprob: -0.01 * (i % 9),
    rank: 1 + (i % 3),
    top1: -0.01 * (i % 3),
    eos: null,
    claimed: -0.01 * (i % 9),
  }));
  const control = tokens.map(({ claimed: _, ...s }) => s);
  return timed(() => {
    const vs = Array.from({ length: n }, (_, r) =>
      judge({ ...pre, id: `throughput.1:${r}` }, { tokens, stop: null, control }, T),
    );
    const g = gateVerdict(vs, T, { final: true });
    gateMargins(g, T);
    if (!g.passed) throw new Error(`bench input failed the teacher: ${g.reasons.join("; ")}`);
  });
}

function main(): void {
  const i = process.argv.indexOf("--requests");
  const n = i > 0 ? Number(process.argv[i + 1]) : 1000;
  if (!Number.isInteger(n) || n < 10 || n > 100_000) {
    console.error("gate-speed: --requests must be an integer from 10 to 100000");
    process.exit(2);
  }
  const rows = (
    [
      ["gate pass (20 top_logprobs)", gatePass],
      ["teacher rules + session", teacherPass],
    ] as const
  ).map(([name, run]) => {
    run(Math.min(n, 100)); // warm the JIT
    const one = run(n);
    const two = run(2 * n);
    return [
      name as string,
      `${n} × ${TOKENS}`,
      `${one.toFixed(0)} ms`,
      `${two.toFixed(0)} ms`,
      (two / one).toFixed(2),
    ];
  });
  console.log("Gate speed: the same work at N and 2N requests (ratio ≈ 2: linear)");
  console.log(formatTable([["judging", "N × tokens", "N", "2N", "2N / N"], ...rows]));
}

main();
