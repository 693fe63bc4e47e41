// Runs a reference server out of process: `node <cli> reference serve --port 0 …` as a child,
// waiting for its ready line. The demo, the bench and the tests use this, so a server's CPU use
// and event loop never mix with the client's. Children are killed on close() and when this process
// exits; and each child has an IPC channel to this process, whose closing it takes as this process's
// death (cli/serve.ts), so even a SIGKILL of this process takes its servers with it.
import { type ChildProcess, spawn } from "node:child_process";
import { cliEntry } from "../entry.js";

export const READY_LINE = /^cacheon reference server listening on (http:\/\/\S+)$/;

export interface SpawnReferenceOptions {
  /** Profile name (baseline, fast, slow, instant) or JSON file path. Default baseline. */
  profile?: string;
  /** A variant (variants.ts). Default none. */
  variant?: string;
  /** Moves an engine variant's choices. Default 0. */
  variantSeed?: number;
  /** Share of near-ties a prefill flips (constants.ts' default). */
  prefillTieFlips?: number;
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  recordTimings?: boolean;
  modelDir?: string;
  servedModelName?: string;
  seed?: number;
  /** How long to wait for the ready line. Default 60 s. */
  readyTimeoutMs?: number;
  /** "pipe" (default): keep the child's stderr, quoted in errors; "inherit": pass it through. */
  stderr?: "pipe" | "inherit";
}

export interface SpawnedReferenceServer {
  url: string;
  pid: number;
  /** The last 8 KiB of the server's stderr (empty with `stderr: "inherit"`). */
  stderrTail(): string;
  /** Resolves with a one-line reason when the server exits (whether or not close() was called). */
  exited: Promise<string>;
  /** Stops the server: SIGTERM, then SIGKILL if it has not exited within 5 s. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export function referenceServeArgs(opts: SpawnReferenceOptions): string[] {
  const args = ["reference", "serve", "--port", String(opts.port ?? 0)];
  if (opts.host !== undefined) args.push("--host", opts.host);
  if (opts.profile !== undefined) args.push("--profile", opts.profile);
  if (opts.variant !== undefined) args.push("--variant", opts.variant);
  if (opts.variantSeed !== undefined) args.push("--variant-seed", String(opts.variantSeed));
  if (opts.prefillTieFlips !== undefined)
    args.push("--prefill-tie-flips", String(opts.prefillTieFlips));
  if (opts.modelDir !== undefined) args.push("--model-dir", opts.modelDir);
  if (opts.servedModelName !== undefined) args.push("--served-model-name", opts.servedModelName);
  if (opts.seed !== undefined) args.push("--seed", String(opts.seed));
  if (opts.recordTimings) args.push("--record-timings");
  return args;
}

export function spawnReferenceServer(
  opts: SpawnReferenceOptions = {},
): Promise<SpawnedReferenceServer> {
  installExitHook();
  const child = spawn(process.execPath, [cliEntry(), ...referenceServeArgs(opts)], {
    stdio: ["ignore", "pipe", opts.stderr === "inherit" ? "inherit" : "pipe", "ipc"],
  });
  // Nothing is ever sent on the channel: it keeps neither process alive, it only ends with us.
  child.channel?.unref();
  live.add(child);
  let stderrTail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (s: string) => {
    stderrTail = (stderrTail + s).slice(-8192);
  });
  let exited = false;
  const exitedPromise = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      live.delete(child);
      resolve(`reference server exited (${signal ?? `exit code ${code}`})`);
    });
  });

  const close = async (): Promise<void> => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exitedPromise;
    clearTimeout(timer);
  };

  return new Promise<SpawnedReferenceServer>((resolve, reject) => {
    let buffered = "";
    let done = false;
    const settle = (err: Error | null, url?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        void close();
        reject(err);
      } else {
        resolve({
          url: url as string,
          pid: child.pid as number,
          stderrTail: () => stderrTail,
          exited: exitedPromise,
          close,
        });
      }
    };
    const why = () =>
      stderrTail.trim() ? `: ${stderrTail.trim().split("\n").slice(-3).join(" | ")}` : "";
    const timeoutMs = opts.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(
      () => settle(new Error(`reference server not ready within ${timeoutMs} ms${why()}`)),
      timeoutMs,
    );
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (s: string) => {
      if (done) return; // keep draining, so the child never blocks on a full pipe
      buffered += s;
      let nl = buffered.indexOf("\n");
      while (nl !== -1) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        const m = READY_LINE.exec(line);
        if (m) return settle(null, m[1]);
        nl = buffered.indexOf("\n");
      }
    });
    child.once("error", (err) =>
      settle(new Error(`cannot start reference server: ${err.message}`)),
    );
    child.once("exit", (code, signal) =>
      settle(
        new Error(
          `reference server exited before it was ready (${signal ?? `exit code ${code}`})${why()}`,
        ),
      ),
    );
  });
}
