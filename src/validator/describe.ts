// One sentence per validator event, with its fields: the CLI writes them as pino log lines, the
// demo prints the sentences as its story.
import { describeKingEvent } from "../eval/verdict.js";
import type { KingEvent } from "../score/king.js";
import type { Submission } from "../store/store.js";
import type { ValidatorEvent } from "./events.js";

export interface EventLine {
  level: "info" | "warn" | "error";
  msg: string;
  fields: Record<string, unknown>;
}

const who = (s: Submission) => `s${s.id} (uid ${s.uid}, ${s.hotkey.slice(0, 8)}…)`;
const fmt = (x: number | null) => (x === null ? "-" : x.toFixed(4));

function submissionLine(s: Submission): string {
  switch (s.status) {
    case "queued":
      return `${who(s)} committed ${s.image} at block ${s.block}: queued`;
    case "rejected":
    case "ignored":
      return `${who(s)} commitment at block ${s.block} ${s.status}: ${s.reason}`;
    default:
      return `${who(s)} commitment at block ${s.block}: ${s.status}`;
  }
}

/** The king event with submissions named as everywhere else in the validator (s<id>). */
function kingLine(k: KingEvent): string {
  const name = (id: string) => `s${id}`;
  const king = { ...k.king, submissionId: name(k.king.submissionId) };
  return describeKingEvent(
    k.type === "dethroned" && k.reason === "beaten"
      ? { ...k, king, by: name(k.by) }
      : { ...k, king },
  );
}

/** Rental steps an operator should notice: money spent on nothing, or renting held back. */
const RENTAL_WARNINGS = new Set(["failed", "held", "error", "stray"]);

export function describeEvent(e: ValidatorEvent): EventLine[] {
  switch (e.type) {
    case "scan":
      return [
        ...e.added.map((s) => ({
          level: s.status === "queued" ? ("info" as const) : ("warn" as const),
          msg: submissionLine(s),
          fields: {
            event: "submission",
            submission: s.id,
            hotkey: s.hotkey,
            status: s.status,
            block: e.head,
          },
        })),
        ...e.dropped.map((s) => ({
          level: "warn" as const,
          msg: `${who(s)} dropped: its hotkey left the subnet`,
          fields: { event: "dropped", submission: s.id, hotkey: s.hotkey },
        })),
        ...e.kingEvents.map((k) => ({
          level: "info" as const,
          msg: kingLine(k),
          fields: { event: `king-${k.type}`, submission: k.king.submissionId },
        })),
      ];
    case "job-created": {
      const names = e.job.candidates.map((c) => (c.role === "king" ? `${c.name} (king)` : c.name));
      return [
        {
          level: "info",
          msg: `job ${e.job.id}: ${names.join(", ")} against the baseline, seed from block ${e.job.seedBlock}`,
          fields: { event: "job-created", job: e.job.id, candidates: e.job.candidates.length },
        },
      ];
    }
    case "job-submitted":
      return [
        {
          level: "info",
          msg: `job ${e.job.id}: running on pod ${e.pod} as ${e.podJob} (attempt ${e.job.attempts})`,
          fields: { event: "job-submitted", job: e.job.id, pod: e.pod, podJob: e.podJob },
        },
      ];
    case "job-released":
      return [
        {
          level: e.final ? "error" : "warn",
          msg: e.final
            ? `job ${e.job.id} failed for good: ${e.job.reason}`
            : `job ${e.job.id}: attempt ${e.job.attempts} lost (${e.reason}); it will run again`,
          fields: { event: "job-released", job: e.job.id, final: e.final, reason: e.reason },
        },
      ];
    case "job-settled":
      return [
        ...e.settlement.results.map((r) => {
          const c = e.job.candidates.find((x) => x.submissionId === r.submissionId);
          const role = c?.role === "king" ? " (king, fresh run)" : "";
          return {
            level: "info" as const,
            msg: r.passed
              ? `job ${e.job.id}: s${r.submissionId}${role} passed, TTFT ${r.ttftMs?.toFixed(1)} ms, ${r.tokensPerSec?.toFixed(0)} tok/s, score ${fmt(r.score)}`
              : `job ${e.job.id}: s${r.submissionId}${role} FAILED (${r.failure ?? "gate"}): score 0`,
            fields: {
              event: "result",
              job: e.job.id,
              submission: r.submissionId,
              passed: r.passed,
              score: r.score,
            },
          };
        }),
        ...e.settlement.kingEvents.map((k) => ({
          level: "info" as const,
          msg: kingLine(k),
          fields: { event: `king-${k.type}`, job: e.job.id, submission: k.king.submissionId },
        })),
        ...e.settlement.requeue.map((id) => ({
          level: "info" as const,
          msg: `s${id} queued again: the king changed while job ${e.job.id} ran`,
          fields: { event: "requeued", submission: id, job: e.job.id },
        })),
      ];
    case "weights":
      return [
        e.set.status === "set" && e.set.commit
          ? {
              level: "info",
              msg: `weights committed at block ${e.set.block}, timelocked to drand round ${e.set.commit.revealRound}: uid ${e.set.uids.join(",")} gets everything once the chain reveals them in epoch ${e.set.commit.revealEpoch}`,
              fields: {
                event: "weights-committed",
                slot: e.set.slot,
                block: e.set.block,
                uids: e.set.uids,
                round: e.set.commit.revealRound,
                epoch: e.set.commit.commitEpoch,
                revealEpoch: e.set.commit.revealEpoch,
              },
            }
          : e.set.status === "set"
            ? {
                level: "info",
                msg: `weights set at block ${e.set.block}: uid ${e.set.uids.join(",")} gets everything (${e.set.outcome})`,
                fields: {
                  event: "weights",
                  slot: e.set.slot,
                  block: e.set.block,
                  uids: e.set.uids,
                },
              }
            : {
                level: "warn",
                msg: `weights not set (attempt ${e.set.attempts} of slot ${e.set.slot}): ${e.set.error}`,
                fields: { event: "weights-failed", slot: e.set.slot, error: e.set.error },
              },
      ];
    case "weights-reveal": {
      const c = e.set.commit;
      if (!c) return [];
      const fields = {
        event: `weights-${c.status}`,
        slot: e.set.slot,
        commitBlock: c.commitBlock,
        round: c.revealRound,
        revealEpoch: c.revealEpoch,
        ...(c.revealBlock === null ? {} : { block: c.revealBlock }),
      };
      if (c.status === "revealed")
        return [
          {
            level: "info",
            msg: `weights on chain${c.revealBlock === null ? " (the block of the reveal is older than the node keeps)" : ` at block ${c.revealBlock}`}: the chain revealed the commit of block ${c.commitBlock} (drand round ${c.revealRound}), uid ${e.set.uids.join(",")} gets everything`,
            fields,
          },
        ];
      return [
        {
          level: "warn",
          msg:
            c.status === "expired"
              ? `the timelocked commit of block ${c.commitBlock} expired unrevealed: drand round ${c.revealRound} did not reach the chain within epoch ${c.revealEpoch}; the next slot commits again`
              : c.status === "dropped"
                ? `the timelocked commit of block ${c.commitBlock} left the chain unrevealed in epoch ${c.revealEpoch} (not decryptable with round ${c.revealRound}'s pulse, or its weights were refused); the next slot commits again`
                : `the timelocked commit of block ${c.commitBlock} is not confirmed: the blocks of its reveal epoch ${c.revealEpoch} are older than the node keeps, and the weights on chain are not its`,
          fields,
        },
      ];
    }
    case "pod-broken":
      return [
        {
          level: "error",
          msg: `pod ${e.pod}: ${e.reason}; it rests before the next job`,
          fields: { event: "pod-broken", pod: e.pod },
        },
      ];
    case "rental":
      return [
        {
          level: RENTAL_WARNINGS.has(e.step) ? "warn" : "info",
          msg: e.name === null ? `pods: ${e.message}` : `pod ${e.name}: ${e.message}`,
          fields: {
            event: "rental",
            step: e.step,
            ...(e.name === null ? {} : { pod: e.name }),
            ...(e.result === undefined ? {} : { result: e.result }),
          },
        },
      ];
    case "error":
      return [
        {
          level: "error",
          msg: `${e.where}: ${e.message}`,
          fields: { event: "error", where: e.where },
        },
      ];
  }
}
