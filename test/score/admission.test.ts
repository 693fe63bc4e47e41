import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admitSubmission } from "../../src/score/admission.js";

const D1 = `sha256:${"a".repeat(64)}`;
const D2 = `sha256:${"b".repeat(64)}`;

const hotkey = fc.constantFrom("5Alice", "5Bob", "5Carol", "5Dave");
const digest = fc.constantFrom(D1, D2, `sha256:${"c".repeat(64)}`);
const submission = fc.record({ hotkey, digest });

describe("admitSubmission", () => {
  it("admits a new hotkey with a new digest", () => {
    expect(
      admitSubmission([{ hotkey: "5Alice", digest: D1 }], { hotkey: "5Bob", digest: D2 }),
    ).toEqual({ ok: true });
    expect(admitSubmission([], { hotkey: "5Bob", digest: D2 })).toEqual({ ok: true });
  });

  it("refuses a hotkey's second submission, even with a new digest", () => {
    const a = admitSubmission([{ hotkey: "5Alice", digest: D1 }], { hotkey: "5Alice", digest: D2 });
    expect(a).toMatchObject({ ok: false, reason: "hotkey_already_submitted" });
    if (!a.ok) expect(a.detail).toContain(D1);
  });

  it("refuses another hotkey's digest as a copy, whatever its letter case", () => {
    const a = admitSubmission([{ hotkey: "5Alice", digest: D1 }], {
      hotkey: "5Bob",
      digest: D1.toUpperCase(),
    });
    expect(a).toMatchObject({ ok: false, reason: "copy_of_digest" });
    if (!a.ok) expect(a.detail).toContain("5Alice");
  });

  it("always refuses a second submission by a hotkey", () => {
    fc.assert(
      fc.property(fc.array(submission), submission, digest, (seen, first, d) => {
        const a = admitSubmission([...seen, first], { hotkey: first.hotkey, digest: d });
        expect(a).toMatchObject({ ok: false, reason: "hotkey_already_submitted" });
      }),
    );
  });

  it("admits, over any stream, each hotkey at most once and each digest at most once", () => {
    fc.assert(
      fc.property(fc.array(submission, { maxLength: 20 }), (stream) => {
        const admitted: { hotkey: string; digest: string }[] = [];
        for (const s of stream) {
          const a = admitSubmission(admitted, s);
          const fresh =
            !admitted.some((x) => x.hotkey === s.hotkey) &&
            !admitted.some((x) => x.digest === s.digest);
          expect(a.ok).toBe(fresh);
          if (a.ok) admitted.push(s);
        }
        expect(new Set(admitted.map((x) => x.hotkey)).size).toBe(admitted.length);
        expect(new Set(admitted.map((x) => x.digest)).size).toBe(admitted.length);
      }),
    );
  });
});
