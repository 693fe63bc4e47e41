// Waiting for a server to become ready: GET /health until it answers 200, within the arena's
// startup timeout. A server that exits while we wait fails at once, with its reason, and so does
// one whose /health body is over the cap (it has answered, and breaks the contract).
import { fetchText } from "../contract/http.js";
import type { RunningServer } from "./runtime.js";

export class HealthTimeout extends Error {}

const POLL_MS = 200;

/** Resolves with the ms waited; rejects with HealthTimeout (or the server's exit reason). */
export async function waitForHealth(
  server: RunningServer,
  timeoutMs: number,
  signal?: AbortSignal,
  /** Cap on the body's bytes (the arena's `limits.maxInfoBodyBytes`; default: its default). */
  maxBodyBytes?: number,
): Promise<number> {
  const start = performance.now();
  let last = "no answer yet";
  let gone: string | null = null;
  void server.exited.then((why) => {
    gone = why;
  });
  for (;;) {
    if (gone !== null) throw new HealthTimeout(`the server stopped before it was healthy: ${gone}`);
    if (signal?.aborted) throw new HealthTimeout("cancelled while waiting for health");
    const waited = performance.now() - start;
    const left = timeoutMs - waited;
    if (left <= 0)
      throw new HealthTimeout(
        `GET /health did not answer 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last})`,
      );
    const res = await fetchText(`${server.origin}/health`, {
      timeoutMs: Math.max(1, Math.floor(Math.min(5_000, left))),
      maxBytes: maxBodyBytes,
    });
    if (res.ok) return Math.round(performance.now() - start);
    if (res.tooLarge) throw new HealthTimeout(`GET /health answered ${res.reason}`);
    last = res.reason;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, left))));
  }
}
