// forEachLimited: at most `limit` items in flight, in order, and a failure thrown only once the
// items in flight have settled, with no new item started after it.
import { describe, expect, it } from "vitest";
import { forEachLimited } from "../../src/concurrency.js";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("forEachLimited", () => {
  it("runs every item once, in order, never more than the limit at a time", async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    await forEachLimited([10, 11, 12, 13, 14, 15, 16], 3, async (item, i) => {
      expect(item).toBe(10 + i);
      started.push(i);
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
    });
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(3);
  });

  it("does nothing for no items", async () => {
    await expect(forEachLimited([], 4, async () => {})).resolves.toBeUndefined();
  });

  it("throws the first failure after the items in flight settle, and starts no more", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachLimited([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      if (i === 1) throw new Error("item 1 failed");
      await tick();
      await tick();
      finished.push(i);
    });
    await expect(run).rejects.toThrow("item 1 failed");
    // Item 0 was in flight when item 1 failed: it finished before the call returned.
    expect(finished).toContain(0);
    expect(started.length).toBeLessThan(6);
  });
});
