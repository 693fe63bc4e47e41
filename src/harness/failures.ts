// Every way one benchmark request can fail, each list written once and extended by the layer
// above: the streaming contract's kinds (src/contract/stream.ts), then the client's transport and
// timing kinds, then the kinds only the harness gives when it turns a request into a record.
import { STREAM_FAILURE_KINDS } from "../contract/stream.js";

/** How one streamed request ends badly (src/harness/client.ts). */
export const REQUEST_FAILURE_KINDS = [
  ...STREAM_FAILURE_KINDS,
  "connect",
  "http_status",
  "content_type",
  "headers_timeout",
  "stalled",
  "deadline",
  "aborted",
  "time_limit",
  "network",
] as const;
export type FailureKind = (typeof REQUEST_FAILURE_KINDS)[number];

/** A request record's failure: the request's own, or the harness's verdict on it. */
export const RECORD_FAILURE_KINDS = [
  ...REQUEST_FAILURE_KINDS,
  // planned but never sent: the phase hit its time limit or was cancelled first
  "not_sent",
  // the output's token count is not valid (src/harness/tokens.ts)
  "token_count",
] as const;
