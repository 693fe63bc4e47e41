// Which commitments get evaluated (DESIGN §2.5). A hotkey gets one submission, the first seen, so
// a miner cannot re-roll measurement noise by committing again; an image digest already submitted
// by another hotkey is a copy, so nobody can ride on someone else's engine.

export type Admission =
  | { ok: true }
  | { ok: false; reason: "hotkey_already_submitted" | "copy_of_digest"; detail: string };

// Digests are hex; compare them case-insensitively so a re-cased copy is still a copy.
const sameDigest = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** One submission per hotkey (the first seen); a digest already submitted by another hotkey is a copy. */
export function admitSubmission(
  seen: ReadonlyArray<{ hotkey: string; digest: string }>,
  s: { hotkey: string; digest: string },
): Admission {
  const own = seen.find((x) => x.hotkey === s.hotkey);
  if (own) {
    return {
      ok: false,
      reason: "hotkey_already_submitted",
      detail: `hotkey ${s.hotkey} already submitted ${own.digest}; only its first submission is evaluated`,
    };
  }
  const original = seen.find((x) => sameDigest(x.digest, s.digest));
  if (original) {
    return {
      ok: false,
      reason: "copy_of_digest",
      detail: `image ${s.digest} was already submitted by hotkey ${original.hotkey}`,
    };
  }
  return { ok: true };
}
