// Rate limiting for the public read-only API: a token bucket per client address. The dashboard and
// the API are open to anyone, so one client polling hard must not starve the validator's event loop
// (the same loop that drives pods and sets weights). Pure: the clock is passed in.

export interface RateLimitRules {
  /** Requests a client may make in a burst. */
  burst: number;
  /** Tokens refilled per second. */
  perSecond: number;
  /** Clients remembered at most; the least recently seen are forgotten first (bounded memory). */
  maxClients: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitRules = { burst: 60, perSecond: 10, maxClients: 10_000 };

/** /metrics, apart: a scraper asks every few seconds, so a burst of 10 and one a second leave it
 *  room while 200 connections from one address cannot make the process render the metrics 200 times. */
export const DEFAULT_METRICS_RATE_LIMIT: RateLimitRules = {
  burst: 10,
  perSecond: 1,
  maxClients: 1_000,
};

export type RateDecision = { ok: true; remaining: number } | { ok: false; retryAfterS: number };

export class RateLimiter {
  // Map iteration order is insertion order: re-inserting on each hit keeps it least-recent first.
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(private readonly rules: RateLimitRules = DEFAULT_RATE_LIMIT) {}

  take(client: string, nowMs: number): RateDecision {
    const { burst, perSecond, maxClients } = this.rules;
    const prev = this.buckets.get(client);
    // A clock that steps back refills nothing rather than going negative.
    const elapsedS = prev ? Math.max(0, nowMs - prev.atMs) / 1000 : 0;
    const tokens = prev ? Math.min(burst, prev.tokens + elapsedS * perSecond) : burst;
    this.buckets.delete(client);
    if (tokens < 1) {
      this.buckets.set(client, { tokens, atMs: nowMs });
      return { ok: false, retryAfterS: Math.ceil((1 - tokens) / perSecond) };
    }
    this.buckets.set(client, { tokens: tokens - 1, atMs: nowMs });
    while (this.buckets.size > maxClients) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
    return { ok: true, remaining: Math.floor(tokens - 1) };
  }

  /** Clients currently remembered. */
  get size(): number {
    return this.buckets.size;
  }
}
