// The dashboard's weights card on a commit-reveal v4 subnet: the weights on chain say they were
// revealed from a timelocked commit, a commit waiting for its reveal says so, and one that expired
// unrevealed is a warning that the next slot commits again.
import { describe, expect, it } from "vitest";
import type { StateView } from "../../src/web/api.js";
import { dashboardPage } from "../../src/web/pages.js";
import { ordinary, pageInputs } from "./page-fixtures.js";

const inputs = pageInputs(ordinary);

function card(weights: StateView["weights"]): string {
  const page = dashboardPage(
    { ...inputs.state, weights },
    inputs.subs,
    inputs.history,
    inputs.evals,
  );
  const m = /<section id="weights">[\s\S]*?<\/section>/.exec(page);
  if (!m) throw new Error("no weights card");
  return m[0]
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

const revealed = {
  slot: 3,
  block: 64,
  uids: [1],
  weights: [65535],
  committed: { block: 41, revealRound: 25_000_010 },
};
const commit = {
  slot: 4,
  commitBlock: 81,
  revealRound: 25_000_070,
  revealEpoch: 5,
  firstRevealBlock: 100,
  revealBlock: null,
};

describe("the weights card", () => {
  it("shows the weights on chain as revealed from their timelocked commit", () => {
    expect(card({ lastSet: revealed, lastAttempt: null, lastCommit: null })).toBe(
      "Weights Last set at block 64 (revealed by the chain from the timelocked commit of block 41, drand round 25000010): uid 1 ← 65535. Chain head seen: block 130.",
    );
  });

  it("shows a commit waiting for its reveal, and one that expired unrevealed", () => {
    expect(
      card({ lastSet: revealed, lastAttempt: null, lastCommit: { ...commit, status: "pending" } }),
    ).toContain(
      "Timelocked commit of block 81 (drand round 25000070): waiting for the chain to reveal it in epoch 5 (from block 100).",
    );
    const expired = card({
      lastSet: revealed,
      lastAttempt: null,
      lastCommit: { ...commit, status: "expired" },
    });
    expect(expired).toContain(
      "Timelocked commit of block 81 (drand round 25000070): expired unrevealed in epoch 5; the next slot commits again.",
    );
    const page = dashboardPage(
      {
        ...inputs.state,
        weights: { lastSet: null, lastAttempt: null, lastCommit: { ...commit, status: "dropped" } },
      },
      inputs.subs,
      inputs.history,
      inputs.evals,
    );
    expect(page).toMatch(
      /<p id="weights-commit" class="warn">[^<]*left the chain unrevealed in epoch 5/,
    );
    expect(page).toContain("Weights have not been set yet.");
  });
});
