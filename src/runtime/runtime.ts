// The small interface the eval session drives servers through. A runtime starts a server from its
// spec and hands back where to reach it; health, requests and timing are the session's job.
import type { ServerSpec } from "./spec.js";

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8000 */
  origin: string;
  /** Resolves with a one-line reason if the server goes away by itself (never for a URL). */
  exited: Promise<string>;
  /** What the server wrote (size-capped), for the report; empty where the runtime cannot see it. */
  logs(): string;
  /** Stops and cleans up; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The model name the server must serve (`SERVED_MODEL_NAME`). */
  servedModelName: string;
  signal?: AbortSignal;
}

export interface Runtime {
  /** Rejects with a one-line reason when the server cannot be started. */
  start(spec: ServerSpec, opts: StartOptions): Promise<RunningServer>;
}
