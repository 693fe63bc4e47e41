// The `commit` argument of `commit_timelocked_mechanism_weights` (pallet 7, call 118): the SCALE
// payload, timelocked to the reveal round. Nothing here talks to the chain.
import { TimelockError } from "./bls.js";
import { encodeWeightsTlockPayload, type WeightsTlockPayload } from "./payload.js";
import { type TlockEncryptOptions, tlockEncrypt } from "./tlock.js";

/** The pallet refuses commits over this many bytes. */
export const MAX_COMMIT_BYTES = 5000;
/** `commit_reveal_version` the runtime expects (CommitRevealWeightsVersion's default). */
export const COMMIT_REVEAL_VERSION = 4;

export function timelockedWeightsCommit(
  payload: WeightsTlockPayload,
  revealRound: number,
  opts: TlockEncryptOptions = {},
): Uint8Array {
  const commit = tlockEncrypt(encodeWeightsTlockPayload(payload), revealRound, opts);
  if (commit.length > MAX_COMMIT_BYTES)
    throw new TimelockError(
      `the commit is ${commit.length} bytes, over the chain's ${MAX_COMMIT_BYTES} (${payload.uids.length} weights)`,
    );
  return commit;
}
