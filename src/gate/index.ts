// The greedy correctness gate (DESIGN §2.4): pure functions, no I/O.
export { compareRequest } from "./compare.js";
export { explainRequest } from "./explain.js";
export {
  GateFailReasonSchema,
  GateMarginsSchema,
  GateResultSchema,
  GateThresholdsSchema,
  RequestVerdictSchema,
} from "./schema.js";
export { DEFAULT_EOS_TOKENS, DEFAULT_GATE_THRESHOLDS } from "./thresholds.js";
export * from "./types.js";
export { gateMargins, gateVerdict } from "./verdict.js";
