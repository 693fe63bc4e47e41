// The read-only API's payloads, built from the validator's store: the arena's state now (king,
// margin, queue, last weights), pages of submissions, the king history and one eval job. Only what
// the chain and the reports already make public is served: hotkeys, uids, images, scores and
// reasons; never a pod's address or token, a wallet, or the artifact store's configuration.
import { z } from "zod";
import { type KingRules, margin, marginZeroAtMs } from "../score/margin.js";
import {
  type LeaderboardRow,
  type ReadonlyStore,
  SUBMISSION_STATUSES,
  type Submission,
} from "../store/store.js";
import { podViews } from "../validator/pod-view.js";

export const SubmissionsQuerySchema = z.strictObject({
  hotkey: z
    .string()
    .regex(/^[1-9A-HJ-NP-Za-km-z]{40,60}$/, "an SS58 address")
    .optional(),
  status: z.enum(SUBMISSION_STATUSES).optional(),
  order: z.enum(["score", "commit"]).default("score"),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(200).default(50),
});
export type SubmissionsQuery = z.infer<typeof SubmissionsQuerySchema>;

export interface SubmissionView {
  id: number;
  hotkey: string;
  uid: number | null;
  image: string | null;
  digest: string | null;
  block: number;
  seenAt: string;
  status: Submission["status"];
  reason: string | null;
  king: boolean;
  /** Its latest settled result. */
  result: (Omit<NonNullable<LeaderboardRow["result"]>, "jobId"> & { evalId: number }) | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function submissionView(row: LeaderboardRow, kingId: number | null): SubmissionView {
  const s = row.submission;
  return {
    id: s.id,
    hotkey: s.hotkey,
    uid: s.uid,
    // An invalid commitment's bytes are shown as the reason says; the image stays null.
    image: s.image,
    digest: s.digest,
    block: s.block,
    seenAt: iso(s.seenAtMs),
    status: s.status,
    reason: s.reason,
    king: s.id === kingId,
    result: row.result && (({ jobId, ...r }) => ({ evalId: jobId, ...r }))(row.result),
  };
}

export interface StateView {
  arena: string;
  now: string;
  king: {
    submissionId: number;
    hotkey: string;
    uid: number;
    digest: string;
    image: string | null;
    score: number;
    crownedAt: string;
    /** What a challenger must beat the king's fresh score by, now. */
    marginNow: number;
    marginZeroAt: string;
  } | null;
  rules: { marginM0: number; decayMs: number; burnUid: number };
  queue: {
    depth: number;
    next: { id: number; hotkey: string; uid: number | null; block: number }[];
  };
  evaluating: { evalId: number; status: string; candidates: number[] }[];
  weights: {
    /** The last weights on chain: `block` is where they went on chain (set, or the chain's reveal). */
    lastSet: {
      slot: number;
      block: number | null;
      uids: number[];
      weights: number[];
      /** Set as a timelocked commit: the commit's block and its drand round. */
      committed: { block: number; revealRound: number } | null;
    } | null;
    lastAttempt: { slot: number; status: string; attempts: number; error: string | null } | null;
    /** The newest timelocked commit (commit-reveal v4) and what became of it. */
    lastCommit: {
      slot: number;
      status: "pending" | "revealed" | "expired" | "dropped" | "unconfirmed";
      commitBlock: number;
      revealRound: number;
      revealEpoch: number;
      firstRevealBlock: number;
      revealBlock: number | null;
    } | null;
  };
  lastScanBlock: number | null;
  /** Rented pods live now or given back today (none with static pods); no address or key. */
  pods: {
    name: string;
    state: string;
    provider: string;
    instanceType: string;
    hourlyPriceUsd: number;
    spentTodayUsd: number;
    /** How long a ready pod has been without a job; null while busy or not ready. */
    idleSeconds: number | null;
    rentedAt: string;
  }[];
}

export function stateView(
  store: ReadonlyStore,
  o: { arena: string; rules: KingRules; nowMs: number },
): StateView {
  const king = store.king();
  // The newest two rows, not every slot since the validator started.
  const { lastSet, lastAttempt, lastCommit } = store.latestWeightSets();
  return {
    arena: o.arena,
    now: iso(o.nowMs),
    king: king && {
      submissionId: Number(king.submissionId),
      hotkey: king.hotkey,
      uid: king.uid,
      digest: king.digest,
      image: store.submission(Number(king.submissionId))?.image ?? null,
      score: king.score,
      crownedAt: iso(king.crownedAtMs),
      marginNow: margin(o.nowMs, king.crownedAtMs, o.rules),
      marginZeroAt: iso(marginZeroAtMs(king.crownedAtMs, o.rules)),
    },
    rules: { marginM0: o.rules.marginM0, decayMs: o.rules.decayMs, burnUid: o.rules.burnUid },
    queue: {
      depth: store.queueDepth(),
      next: store
        .queue(20)
        .map((s) => ({ id: s.id, hotkey: s.hotkey, uid: s.uid, block: s.block })),
    },
    evaluating: store.openJobs().map((j) => ({
      evalId: j.id,
      status: j.status,
      candidates: j.candidates.map((c) => c.submissionId),
    })),
    weights: {
      lastSet: lastSet && {
        slot: lastSet.slot,
        block: lastSet.commit ? lastSet.commit.revealBlock : lastSet.block,
        uids: lastSet.uids,
        weights: lastSet.weights,
        committed: lastSet.commit
          ? { block: lastSet.commit.commitBlock, revealRound: lastSet.commit.revealRound }
          : null,
      },
      lastAttempt: lastAttempt && {
        slot: lastAttempt.slot,
        status: lastAttempt.status,
        attempts: lastAttempt.attempts,
        error: lastAttempt.error,
      },
      lastCommit: lastCommit && {
        slot: lastCommit.slot,
        status: lastCommit.status,
        commitBlock: lastCommit.commitBlock,
        revealRound: lastCommit.revealRound,
        revealEpoch: lastCommit.revealEpoch,
        firstRevealBlock: lastCommit.firstRevealBlock,
        revealBlock: lastCommit.revealBlock,
      },
    },
    lastScanBlock: store.lastScanBlock(),
    pods: podViews(store, o.nowMs).map((p) => ({
      name: p.name,
      state: p.state,
      provider: p.provider,
      instanceType: p.instanceType,
      hourlyPriceUsd: p.hourlyPriceCents / 100,
      spentTodayUsd: Math.round(p.spentTodayCents) / 100,
      idleSeconds: p.idleMs === null ? null : Math.floor(p.idleMs / 1000),
      rentedAt: iso(p.createdAtMs),
    })),
  };
}

export interface SubmissionsPage {
  page: number;
  perPage: number;
  total: number;
  submissions: SubmissionView[];
}

export function submissionsPage(store: ReadonlyStore, q: SubmissionsQuery): SubmissionsPage {
  const { total, rows } = store.submissionPage({
    hotkey: q.hotkey,
    status: q.status,
    order: q.order,
    limit: q.per_page,
    offset: (q.page - 1) * q.per_page,
  });
  const king = store.king();
  const kingId = king ? Number(king.submissionId) : null;
  return {
    page: q.page,
    perPage: q.per_page,
    total,
    submissions: rows.map((r) => submissionView(r, kingId)),
  };
}

export interface HistoryEntryView {
  at: string;
  type: string;
  submissionId: number;
  hotkey: string;
  uid: number;
  score: number;
  evalId: number | null;
}

export function historyView(store: ReadonlyStore): HistoryEntryView[] {
  return store.kingHistory().map((h) => ({
    at: iso(h.atMs),
    type: h.type,
    submissionId: h.submissionId,
    hotkey: h.hotkey,
    uid: h.uid,
    score: h.score,
    evalId: h.jobId,
  }));
}
