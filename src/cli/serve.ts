// What the long-running commands (`reference serve`, `chain local`, `pod serve`) share: listen errors
// in one line, and running until SIGINT/SIGTERM (or the death of a parent that asked for it) after
// printing the ready line others wait for.
import { hostPort } from "../contract/host.js";
import { CliError } from "./errors.js";

/** A listen failure as a one-line CliError, or null when it is something else. */
export function listenError(err: unknown, host: string, port: number): CliError | null {
  switch ((err as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return new CliError(`${hostPort(host, port)} is already in use`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new CliError(`cannot listen on ${host}: ${(err as NodeJS.ErrnoException).code}`);
    case "EACCES":
      return new CliError(`no permission to listen on port ${port}`);
    default:
      return null;
  }
}

/** How long a server whose parent is gone may take to close before it exits anyway. */
const ORPHAN_EXIT_MS = 3_000;

/** What serveUntilSignal does on SIGINT/SIGTERM, once it serves. */
let stopServing: (() => void) | null = null;
let followingParent = false;

/**
 * Ends this process with its parent where the parent asked for that by giving it an IPC channel
 * (reference/spawn.ts does): the channel closes when the parent dies, even by SIGKILL, and a server
 * nobody will ever stop must not keep running. Call it first, before a slow start: a parent that
 * dies meanwhile is noticed too (then this process exits at once). Nothing is ever sent on the
 * channel, and it keeps nothing alive.
 */
export function exitWithParent(): void {
  if (followingParent || typeof process.send !== "function") return;
  followingParent = true;
  const gone = () => {
    setTimeout(() => process.exit(0), ORPHAN_EXIT_MS).unref();
    if (stopServing) stopServing();
    else process.exit(0);
  };
  if (!process.connected) {
    gone();
    return;
  }
  process.channel?.unref();
  process.once("disconnect", gone);
}

/**
 * Prints `readyLine`, then on SIGINT or SIGTERM closes and exits 0; also when the parent it follows
 * (exitWithParent) is gone.
 */
export function serveUntilSignal(readyLine: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    void close().then(() => process.exit(0));
  };
  // Handlers first: whoever waits for the ready line may signal us the moment it appears.
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  stopServing = stop;
  exitWithParent();
  process.stdout.write(`${readyLine}\n`);
}
