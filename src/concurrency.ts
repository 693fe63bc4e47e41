// Bounded concurrency for I/O-bound work (the teacher's scoring calls, a pod's weight files): at
// most `limit` items in flight, in order.

/**
 * Runs `fn` on each item, `limit` at a time. The first failure stops new work; once every item in
 * flight has settled, it is thrown (so nothing of this call still runs when it returns).
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const runs = Array.from({ length: Math.min(limit, items.length) }, worker);
  const results = await Promise.allSettled(runs);
  const rejected = results.find((r) => r.status === "rejected");
  if (rejected) throw (rejected as PromiseRejectedResult).reason;
}
