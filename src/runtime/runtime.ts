// The small interface the eval session drives servers through. A runtime starts a server from its
// spec and hands back where to reach it; health, requests and timing are the session's job.
import type { Arena } from "../arena/config.js";
import type { ServerSpec } from "./spec.js";

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8000 */
  origin: string;
  /** Time spent fetching what the server needs before it could start (an image pull), if any. */
  pullMs?: number;
  /** Resolves with a one-line reason if the server goes away by itself (never for a URL). */
  exited: Promise<string>;
  /** What the server wrote (size-capped), for the report; empty where the runtime cannot see it. */
  logs(): string;
  /** Stops and cleans up; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The session's arena: the served model name, the model mount, the image size limit. */
  arena: Arena;
  signal?: AbortSignal;
  /** Progress of slow preparation (an image pull), one line at a time. */
  onStatus?: (line: string) => void;
}

export interface Runtime {
  /** Rejects with a one-line reason when the server cannot be started. */
  start(spec: ServerSpec, opts: StartOptions): Promise<RunningServer>;
}

/** A runtime refuses the server's image (not pinned, wrong digest, too large): the miner's fault. */
export class ImageRefused extends Error {}
