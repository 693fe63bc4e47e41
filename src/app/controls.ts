// The gate's controls and its decision table (issue 16 item 7): sessions in which the reference
// server's engine variants are candidates against a reference-server baseline, one variant seed per
// session, so that `cacheon gate calibrate` can show the honest variants' worst value per threshold
// and `npm run bench` can show which variants pass and which fail, and by which rule.
import { createHash } from "node:crypto";
import type { Arena } from "../arena/index.js";
import { normalizeSeed } from "../arena/pool.js";
import type { CandidateRun } from "../eval/report.js";
import type { NamedServer } from "../eval/session.js";
import { type GateMargin, type GateMargins, gateMargins } from "../gate/index.js";
import { SERVER_VARIANTS, type ServerVariant, VARIANT_INFO } from "../reference/variants.js";
import { referenceServerOptions } from "../runtime/local.js";
import type { Runtime } from "../runtime/runtime.js";
import type { ServerSpec } from "../runtime/spec.js";

/** Every variant a gate must pass, "none" (the reference model itself) first. */
export const HONEST_VARIANTS: readonly ServerVariant[] = SERVER_VARIANTS.filter(
  (v) => VARIANT_INFO[v].honest,
);

/** The i-th session seed of a series: a hash of the series' seed and i, so each session draws
 *  other prompts and the series is reproducible from one seed. */
export function seriesSeed(seed: string, i: number): string {
  const hex = createHash("sha256")
    .update(`${normalizeSeed(seed)}:${i}`)
    .digest("hex");
  return `0x${hex}`;
}

/** One candidate per variant on a reference server of `profile`, named by the variant, each with
 *  `variantSeed` (which moves where a variant forks or misbehaves). */
export function variantCandidates(
  variants: readonly ServerVariant[],
  profile: string,
  variantSeed: number,
): NamedServer[] {
  return variants.map((variant) => ({
    name: variant,
    spec: { kind: "reference", profile, variant, variantSeed } satisfies ServerSpec,
  }));
}

/**
 * Why a candidate failed, as one rule name: the first failing request's reason (the gate's own
 * names: divergence, teacher_rank, eos_skip, …), else the session-wide threshold it broke (a
 * gateMargins key, e.g. notFineShare), else the stage its run failed at (start, health, teacher, …).
 * Null when it passed.
 */
export function failingRule(c: CandidateRun, arena: Arena): string | null {
  if (c.gate.passed) return null;
  const v = c.gate.verdicts.find((x) => x.status === "fail");
  if (v) return v.reason ?? "request_failed";
  if (c.failure && c.failure.kind !== "gate") return c.failure.kind;
  const margins = gateMargins(c.gate, arena.gate);
  const broken = (Object.keys(margins) as (keyof GateMargins)[]).filter(
    (k) => k !== "rejectedTieGap" && (margins[k].headroom ?? 0) < 0,
  );
  if (broken.length > 0) return broken.join("+");
  return c.gate.counts.forked > 0 ? "unjudged" : "gate";
}

/** Per threshold, the worst margin over `all` (the least headroom; a metric never observed stays
 *  null), with the candidate it came from. */
export function worstMargins(
  all: readonly { name: string; margins: GateMargins }[],
): { key: keyof GateMargins; worst: GateMargin; from: string | null }[] {
  const keys = Object.keys(all[0]?.margins ?? {}) as (keyof GateMargins)[];
  return keys.map((key) => {
    let worst: GateMargin | null = null;
    let from: string | null = null;
    for (const { name, margins } of all) {
      const m = margins[key];
      if (worst === null || (m.headroom ?? Infinity) < (worst.headroom ?? Infinity)) {
        worst = m;
        from = m.headroom === null ? from : name;
      }
    }
    return { key, worst: worst as GateMargin, from };
  });
}

/** Reference servers in this process, the vocabulary loaded once for all: a process start and a
 *  vocabulary load per server cost more than a control session's requests. Verdicts do not depend
 *  on where a server runs; timings do (the harness shares the process). The server module loads on
 *  first use, so the CLI's --help stays light. */
export const inProcessRuntime: Runtime = {
  async start(spec, opts) {
    if (spec.kind !== "reference")
      throw new Error(
        `the controls run reference servers in this process, not ${spec.kind} servers`,
      );
    const { startReferenceServer } = await import("../reference/server.js");
    const server = await startReferenceServer(referenceServerOptions(spec, opts.arena));
    return {
      origin: server.url,
      exited: new Promise<string>(() => {}),
      logs: () => "",
      stop: () => server.close(),
    };
  },
};
