// The greedy correctness gate (DESIGN §2.4): pure functions, no I/O.
export { CONTEXT_TOKENS, compareRequest } from "./compare.js";
export { explainRequest } from "./explain.js";
export { DEFAULT_GATE_THRESHOLDS } from "./thresholds.js";
export { logprobError, sameToken } from "./tokens.js";
export * from "./types.js";
export { gateMargins, gateVerdict } from "./verdict.js";
