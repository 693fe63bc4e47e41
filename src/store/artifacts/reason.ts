/**
 * One line saying why an operation failed, for logs and errors: the error's code or name, its first
 * message line and the HTTP status an S3 error carries. The SDK's errors hold no credentials.
 */
export function errorReason(err: unknown): string {
  const e = (err ?? {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const what = typeof e.code === "string" ? e.code : typeof e.name === "string" ? e.name : "";
  const message = typeof e.message === "string" ? (e.message.split("\n")[0] ?? "").trim() : "";
  const parts = [what, message].filter((s) => s !== "");
  const text = (parts[0] === parts[1] ? what : parts.join(": ")) || String(err);
  const status = e.$metadata?.httpStatusCode;
  return `${text.slice(0, 300)}${status ? ` (HTTP ${status})` : ""}`;
}
