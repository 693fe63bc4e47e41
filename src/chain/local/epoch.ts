// Subtensor's epoch arithmetic for hash commit-reveal (pallets/subtensor/src/subnets/weights.rs:
// get_epoch_index, is_reveal_block_range, is_commit_expired, get_reveal_blocks), as pure functions.

/** The epoch a block falls in: (block + netuid + 1) / (tempo + 1). */
export function epochIndex(netuid: number, tempo: number, block: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

/** A commit may be revealed only in the epoch exactly `revealPeriod` after the commit's. */
export function inRevealEpoch(
  netuid: number,
  tempo: number,
  revealPeriod: number,
  commitBlock: number,
  currentBlock: number,
): boolean {
  return (
    epochIndex(netuid, tempo, currentBlock) ===
    epochIndex(netuid, tempo, commitBlock) + revealPeriod
  );
}

/** A commit has expired once the reveal epoch is over. */
export function commitExpired(
  netuid: number,
  tempo: number,
  revealPeriod: number,
  commitBlock: number,
  currentBlock: number,
): boolean {
  return (
    epochIndex(netuid, tempo, currentBlock) > epochIndex(netuid, tempo, commitBlock) + revealPeriod
  );
}

/** First and last block of the reveal epoch, as stored with each WeightCommits entry. */
export function revealBlocks(
  netuid: number,
  tempo: number,
  revealPeriod: number,
  commitBlock: number,
): [number, number] {
  const revealEpoch = epochIndex(netuid, tempo, commitBlock) + revealPeriod;
  const first = Math.max(0, revealEpoch * (tempo + 1) - (netuid + 1));
  return [first, first + tempo];
}
