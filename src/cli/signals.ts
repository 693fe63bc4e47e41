// Ctrl-C for the commands that run something long: the first SIGINT (or SIGTERM) aborts the
// signal handed to the work, which winds down cleanly (cancels a session, a pod job, a benchmark;
// stops the validator loop, the demo); a second Ctrl-C finds no handler and ends the process.

/**
 * Runs `fn` with a signal that the first of `signals` aborts; the handlers are removed when `fn`
 * settles.
 */
export async function withAbortOnSignal<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  signals: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"],
): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  for (const s of signals) process.once(s, onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
