// The greedy correctness gate (DESIGN §2.4): pure functions, no I/O.
export { compareRequest } from "./compare.js";
export { explainRequest } from "./explain.js";
export {
  GateFailReasonSchema,
  GateMarginsSchema,
  GateResultSchema,
  GateThresholdsSchema,
  RequestVerdictSchema,
  TeacherEvidenceSchema,
  TeacherInputSchema,
} from "./schema.js";
export { eosPreference, isFine, judge, stopGap, teacherGap } from "./teacher.js";
export { scoresFromPromptLogprobs, TeacherScoresError, teacherInput } from "./teacher-scores.js";
export { DEFAULT_EOS_TOKENS, DEFAULT_GATE_THRESHOLDS } from "./thresholds.js";
export * from "./types.js";
export { type GateVerdictOptions, gateMargins, gateVerdict } from "./verdict.js";
