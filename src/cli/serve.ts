// What the long-running commands (`reference serve`, `chain local`) share: listen errors in one
// line, and running until SIGINT/SIGTERM after printing the ready line others wait for.
import { CliError } from "./errors.js";

/** A listen failure as a one-line CliError, or null when it is something else. */
export function listenError(err: unknown, host: string, port: number): CliError | null {
  switch ((err as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return new CliError(`${host}:${port} is already in use`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new CliError(`cannot listen on ${host}: ${(err as NodeJS.ErrnoException).code}`);
    case "EACCES":
      return new CliError(`no permission to listen on port ${port}`);
    default:
      return null;
  }
}

/** Prints `readyLine`, then on SIGINT or SIGTERM closes and exits 0. */
export function serveUntilSignal(readyLine: string, close: () => Promise<void>): void {
  const stop = () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    void close().then(() => process.exit(0));
  };
  // Handlers first: whoever waits for the ready line may signal us the moment it appears.
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.stdout.write(`${readyLine}\n`);
}
