import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/web/rate-limit.js";

describe("RateLimiter", () => {
  it("allows a burst, then refuses with the wait until a token is back, then refills over time", () => {
    const l = new RateLimiter({ burst: 3, perSecond: 2, maxClients: 10 });
    expect([1, 2, 3].map(() => l.take("a", 0))).toEqual([
      { ok: true, remaining: 2 },
      { ok: true, remaining: 1 },
      { ok: true, remaining: 0 },
    ]);
    expect(l.take("a", 0)).toEqual({ ok: false, retryAfterS: 1 });
    // Half a second refills one token at 2 per second.
    expect(l.take("a", 500).ok).toBe(true);
    expect(l.take("a", 500).ok).toBe(false);
    // A long pause refills to the burst, no more.
    expect(l.take("a", 60_000)).toEqual({ ok: true, remaining: 2 });
  });

  it("keeps clients apart", () => {
    const l = new RateLimiter({ burst: 1, perSecond: 1, maxClients: 10 });
    expect(l.take("a", 0).ok).toBe(true);
    expect(l.take("a", 0).ok).toBe(false);
    expect(l.take("b", 0).ok).toBe(true);
  });

  it("refills nothing when the clock steps back", () => {
    const l = new RateLimiter({ burst: 1, perSecond: 1, maxClients: 10 });
    expect(l.take("a", 10_000).ok).toBe(true);
    expect(l.take("a", 0).ok).toBe(false);
  });

  it("remembers at most maxClients, forgetting the least recently seen", () => {
    const l = new RateLimiter({ burst: 1, perSecond: 0.001, maxClients: 2 });
    l.take("a", 0);
    l.take("b", 0);
    l.take("a", 1); // a is now the most recent
    l.take("c", 2); // b is forgotten
    expect(l.size).toBe(2);
    expect(l.take("a", 3).ok).toBe(false);
    expect(l.take("b", 3).ok).toBe(true);
  });
});
