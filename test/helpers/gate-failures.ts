// How a diverging engine's failure reads. Its first mismatch is a token the reference would not
// choose, or an end of sequence where the reference went on; which one, and whether it is caught on
// the spot (one request, during warmup or the gate pass) or by the gate's count over the pass or the
// teacher after the session, depends on the session's prompts, whose seed is a block hash.
export const DIVERGENCE_FAILURE =
  /^(\w+: \S+ does not match the reference \((divergence|premature_stop)\)|gate: \d+ of \d+ requests (diverged from the reference outside the tie gap|stopped where the model would not); first: )/;
