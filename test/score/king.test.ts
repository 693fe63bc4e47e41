import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyMetagraph,
  type King,
  type SessionCandidate,
  type SessionOutcome,
  settleSession,
} from "../../src/score/king.js";
import { margin, V1_KING_RULES } from "../../src/score/margin.js";

const DAY = 24 * 60 * 60 * 1000;
const T0 = 1_700_000_000_000;
const R = V1_KING_RULES;

const KING: King = {
  hotkey: "5King",
  uid: 3,
  submissionId: "k",
  digest: "sha256:kk",
  score: 0.2,
  crownedAtMs: T0,
};

function challenger(submissionId: string, score: number, passed = true): SessionCandidate {
  return {
    submissionId,
    hotkey: `5${submissionId}`,
    uid: submissionId.length + 10,
    digest: `sha256:${submissionId}`,
    passed,
    score,
  };
}

function fresh(score: number, passed = true): SessionOutcome["king"] {
  return { submissionId: KING.submissionId, passed, score };
}

describe("settleSession: events", () => {
  it("crowns the best passing challenger with score > 0 when there is no king", () => {
    const r = settleSession(
      null,
      {
        king: null,
        challengers: [challenger("a", 0.1), challenger("b", 0.3), challenger("c", 0.5, false)],
      },
      T0,
      R,
    );
    expect(r.king).toEqual({
      hotkey: "5b",
      uid: 11,
      submissionId: "b",
      digest: "sha256:b",
      score: 0.3,
      crownedAtMs: T0,
    });
    expect(r.events).toEqual([{ type: "crowned", king: r.king, threshold: 0 }]);
  });

  it("crowns nobody without a king when no challenger passes with score > 0", () => {
    const r = settleSession(
      null,
      { king: null, challengers: [challenger("a", 0), challenger("b", 0.4, false)] },
      T0,
      R,
    );
    expect(r).toEqual({ king: null, events: [] });
    expect(settleSession(null, { king: null, challengers: [] }, T0, R)).toEqual({
      king: null,
      events: [],
    });
  });

  it("defends with the fresh score, keeping crownedAtMs, when no challenger clears the margin", () => {
    const now = T0 + DAY;
    const m = margin(now, T0, R);
    const r = settleSession(
      KING,
      { king: fresh(0.25), challengers: [challenger("a", 0.25 + m / 2)] },
      now,
      R,
    );
    expect(r.king).toEqual({ ...KING, score: 0.25 });
    expect(r.events).toEqual([{ type: "defended", king: r.king, previousScore: 0.2, margin: m }]);
  });

  it("dethrones a beaten king and crowns the winner with a fresh margin", () => {
    const now = T0 + 2 * DAY;
    const threshold = 0.2 + margin(now, T0, R);
    const r = settleSession(
      KING,
      { king: fresh(0.2), challengers: [challenger("a", 0.3)] },
      now,
      R,
    );
    expect(r.king).toMatchObject({ submissionId: "a", score: 0.3, crownedAtMs: now });
    expect(r.events).toEqual([
      { type: "dethroned", reason: "beaten", king: KING, freshScore: 0.2, by: "a" },
      { type: "crowned", king: r.king, threshold },
    ]);
    expect(margin(now, (r.king as King).crownedAtMs, R)).toBe(R.marginM0);
  });

  it("compares against the king's fresh score, not its stored one", () => {
    // Stored 0.2, but the king measured 0.1 this session: 0.15 beats it even within the margin.
    const r = settleSession(
      KING,
      { king: fresh(0.1), challengers: [challenger("a", 0.15)] },
      T0,
      R,
    );
    expect(r.king?.submissionId).toBe("a");
  });

  it("needs more than the margin right after crowning, and only more than the score once it decayed", () => {
    const outcome = { king: fresh(0.2), challengers: [challenger("a", 0.205)] };
    expect(settleSession(KING, outcome, T0, R).king?.submissionId).toBe("k");
    expect(settleSession(KING, outcome, T0 + 7 * DAY, R).king?.submissionId).toBe("a");
  });

  it("dethrones a king that fails its fresh run, then applies the no-king rule", () => {
    const withHeir = settleSession(
      KING,
      { king: fresh(0, false), challengers: [challenger("a", 0.01), challenger("b", 0.02, false)] },
      T0 + DAY,
      R,
    );
    expect(withHeir.king).toMatchObject({ submissionId: "a", score: 0.01, crownedAtMs: T0 + DAY });
    expect(withHeir.events).toEqual([
      { type: "dethroned", reason: "failed", king: KING },
      { type: "crowned", king: withHeir.king, threshold: 0 },
    ]);
    const vacant = settleSession(
      KING,
      { king: fresh(0, false), challengers: [challenger("a", 0)] },
      T0,
      R,
    );
    expect(vacant).toEqual({
      king: null,
      events: [{ type: "dethroned", reason: "failed", king: KING }],
    });
  });

  it("breaks equal scores by commit order: the earliest wins", () => {
    const r = settleSession(
      null,
      {
        king: null,
        challengers: [challenger("a", 0.1), challenger("b", 0.4), challenger("c", 0.4)],
      },
      T0,
      R,
    );
    expect(r.king?.submissionId).toBe("b");
  });

  it("rejects an outcome that does not re-measure the king, or a malformed one", () => {
    expect(() => settleSession(KING, { king: null, challengers: [] }, T0, R)).toThrow(
      "session has no fresh result for king k",
    );
    expect(() =>
      settleSession(
        KING,
        { king: { submissionId: "x", passed: true, score: 0.1 }, challengers: [] },
        T0,
        R,
      ),
    ).toThrow("session re-measured x, but the king is k");
    expect(() => settleSession(null, { king: fresh(0.1), challengers: [] }, T0, R)).toThrow(
      "but there is no king",
    );
    expect(() =>
      settleSession(null, { king: null, challengers: [challenger("a", -0.1)] }, T0, R),
    ).toThrow(RangeError);
    expect(() => settleSession(KING, { king: fresh(Number.NaN), challengers: [] }, T0, R)).toThrow(
      RangeError,
    );
  });
});

describe("applyMetagraph", () => {
  it("dethrones a king whose hotkey left the subnet", () => {
    expect(applyMetagraph(KING, new Map([["5Other", 3]]))).toEqual({
      king: null,
      events: [{ type: "dethroned", reason: "deregistered", king: KING }],
    });
  });

  it("follows the king's hotkey to its new uid", () => {
    const r = applyMetagraph(KING, new Map([["5King", 9]]));
    expect(r.king).toEqual({ ...KING, uid: 9 });
    expect(r.events).toEqual([{ type: "uid_changed", king: r.king, previousUid: 3 }]);
  });

  it("changes nothing when the king is still on its uid, or when there is no king", () => {
    expect(applyMetagraph(KING, new Map([["5King", 3]]))).toEqual({ king: KING, events: [] });
    expect(applyMetagraph(null, new Map())).toEqual({ king: null, events: [] });
  });
});

// Few distinct scores so that ties and exact equalities with the king come up often.
const score = fc.oneof(
  fc.constantFrom(0, 0.005, 0.01, 0.2, 0.205, 0.21, 0.3),
  fc.double({ min: 0, max: 1, noNaN: true }),
);
const candidate = (i: number) =>
  fc
    .record({ passed: fc.boolean(), score })
    .map(({ passed, score }) => challenger(`c${i}`, score, passed));
const challengers = fc
  .integer({ min: 0, max: 6 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => candidate(i))));
const king = fc
  .record({ score, crownedAtMs: fc.integer({ min: T0, max: T0 + 10 * DAY }) })
  .map((k) => ({ ...KING, ...k }));
const kingFresh = fc
  .record({ passed: fc.boolean(), score })
  .map(({ passed, score }) => fresh(score, passed));
const state = fc.oneof(
  fc.constant({ king: null, fresh: null }),
  fc.record({ king, fresh: kingFresh }),
);
const now = fc.integer({ min: T0 - DAY, max: T0 + 20 * DAY });

describe("settleSession: properties", () => {
  it("never crowns a failed candidate; a new king is the best passing challenger, earliest on ties", () => {
    fc.assert(
      fc.property(state, challengers, now, (s, cs, t) => {
        const r = settleSession(s.king, { king: s.fresh, challengers: cs }, t, R);
        const crowned = r.events.filter((e) => e.type === "crowned");
        expect(crowned.length).toBeLessThanOrEqual(1);
        const [event] = crowned;
        if (event === undefined) return;
        const { king: k, threshold } = event;
        expect(r.king).toBe(k);
        expect(k.crownedAtMs).toBe(t);
        const i = cs.findIndex((c) => c.submissionId === k.submissionId);
        expect(cs[i]).toMatchObject({ passed: true, score: k.score });
        expect(k.score).toBeGreaterThan(threshold);
        for (const [j, c] of cs.entries()) {
          if (!c.passed) continue;
          if (j < i) expect(c.score).toBeLessThan(k.score);
          else expect(c.score).toBeLessThanOrEqual(k.score);
        }
      }),
    );
  });

  it("keeps a passing king, with its fresh score and crownedAtMs, unless a challenger clears fresh + margin", () => {
    fc.assert(
      fc.property(king, score, challengers, now, (k, s, cs, t) => {
        const r = settleSession(k, { king: fresh(s), challengers: cs }, t, R);
        const bar = s + margin(t, k.crownedAtMs, R);
        if (cs.some((c) => c.passed && c.score > bar)) {
          expect(r.events.map((e) => e.type)).toEqual(["dethroned", "crowned"]);
        } else {
          expect(r.king).toEqual({ ...k, score: s });
          expect(r.events.map((e) => e.type)).toEqual(["defended"]);
        }
      }),
    );
  });

  it("never lets a challenger that only equals the king's fresh score dethrone it", () => {
    fc.assert(
      fc.property(king, score, fc.integer({ min: 1, max: 5 }), now, (k, s, n, t) => {
        const cs = Array.from({ length: n }, (_, i) => challenger(`c${i}`, s));
        expect(settleSession(k, { king: fresh(s), challengers: cs }, t, R).king?.submissionId).toBe(
          "k",
        );
      }),
    );
  });

  it("always dethrones a king that fails its fresh run", () => {
    fc.assert(
      fc.property(king, score, challengers, now, (k, s, cs, t) => {
        const r = settleSession(k, { king: fresh(s, false), challengers: cs }, t, R);
        expect(r.events[0]).toEqual({ type: "dethroned", reason: "failed", king: k });
        expect(r.king?.submissionId ?? null).not.toBe("k");
      }),
    );
  });
});
