import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { poolJson } from "../../scripts/prompt-pool/generate.js";
import {
  ArenaError,
  allocatePrompts,
  defaultPoolPath,
  loadArena,
  loadPromptPool,
  normalizeSeed,
  type PoolEntry,
  type PromptPool,
  type PromptSlot,
  promptsPerServer,
  sessionSlots,
  sessionTag,
} from "../../src/arena/index.js";
import { loadVocabulary } from "../../src/contract/tokenizer.js";

const BLOCK = `0x${"ab12".repeat(16)}`;

/** A small pool for the property tests: `n` entries cycling through the three lengths. */
function smallPool(n: number): PromptPool {
  const lengths = ["short", "medium", "long"] as const;
  return Array.from({ length: n }, (_, i): PoolEntry => {
    const messages: PoolEntry["messages"] = [{ role: "user", content: `question ${i}` }];
    if (i % 4 === 0) messages.unshift({ role: "system", content: "Be brief." });
    return { id: `e${i}`, length: lengths[i % 3] as PoolEntry["length"], messages };
  });
}

const slotsArb = fc.array(
  fc.record({
    count: fc.nat(12),
    lengths: fc.option(fc.subarray(["short", "medium", "long"] as const, { minLength: 1 }), {
      nil: undefined,
    }),
  }),
  { maxLength: 6 },
);
const withKeys = (slots: { count: number; lengths?: PoolEntry["length"][] }[]): PromptSlot[] =>
  slots.map((s, i) => ({ key: `slot${i}`, ...s }));

const entryId = (promptId: string) => promptId.slice("pool:".length, promptId.indexOf("#"));

describe("the shipped prompt pool", () => {
  const pool = loadPromptPool();

  it("is the generator's output, under 3 MB, read once", () => {
    const path = defaultPoolPath();
    expect(readFileSync(path, "utf8")).toBe(poolJson());
    expect(statSync(path).size).toBeLessThan(3_000_000);
    expect(loadPromptPool()).toBe(pool);
  });

  it("has about 4000 entries of mixed lengths, no duplicate ids or texts", () => {
    expect(pool.length).toBeGreaterThanOrEqual(3500);
    const count = (l: string) => pool.filter((e) => e.length === l).length;
    expect(count("short")).toBeGreaterThanOrEqual(1500);
    expect(count("medium")).toBeGreaterThanOrEqual(1500);
    expect(count("long")).toBeGreaterThanOrEqual(200);
    expect(new Set(pool.map((e) => e.id)).size).toBe(pool.length);
    expect(new Set(pool.map((e) => JSON.stringify(e.messages))).size).toBe(pool.length);
    // Multi-turn conversations with a system message are part of the mix.
    const multiTurn = pool.filter(
      (e) => e.messages[0]?.role === "system" && e.messages.some((m) => m.role === "assistant"),
    );
    expect(multiTurn.length).toBeGreaterThanOrEqual(100);
  });

  it("sizes each length class in Qwen tokens: short a line, medium a paragraph, long 1-3k", () => {
    const vocab = loadVocabulary();
    const tokens = (e: PoolEntry) =>
      e.messages.reduce((n, m) => n + vocab.encode(m.content).length, 0);
    const bounds = { short: [1, 40], medium: [20, 300], long: [1000, 3000] } as const;
    // Every long entry and every 8th of the others keeps this to a few seconds.
    for (const [i, e] of pool.entries()) {
      if (e.length !== "long" && i % 8 !== 0) continue;
      const n = tokens(e);
      const [lo, hi] = bounds[e.length];
      if (n < lo || n > hi) throw new Error(`${e.id} (${e.length}) has ${n} tokens`);
    }
  }, 60_000);

  it("serves a whole v1 session with no prompt sent twice", () => {
    const v1 = loadArena("v1");
    const got = allocatePrompts(pool, BLOCK, sessionSlots(v1));
    const all = [...got.values()].flat();
    expect(all).toHaveLength(promptsPerServer(v1));
    expect(new Set(all.map((p) => entryId(p.id))).size).toBe(all.length);
  });
});

describe("pool file validation", () => {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-pool-"));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("refuses a bad file with one line", () => {
    const entry = { id: "a", length: "short", messages: [{ role: "user", content: "hi" }] };
    expect(() => loadPromptPool(write("dup.json", JSON.stringify([entry, entry])))).toThrow(
      /prompt pool .*dup\.json is invalid: 1\.id: id "a" is used twice$/,
    );
    const lastAssistant = { ...entry, messages: [{ role: "assistant", content: "x" }] };
    expect(() => loadPromptPool(write("last.json", JSON.stringify([lastAssistant])))).toThrow(
      /0\.messages: the last message must be the user's/,
    );
    expect(() => loadPromptPool(write("bad.json", "[{"))).toThrow(ArenaError);
    expect(() => loadPromptPool(join(dir, "none.json"))).toThrow(/cannot read prompt pool/);
  });
});

describe("seeds", () => {
  it("normalises hex: optional 0x, any case", () => {
    expect(normalizeSeed("0xAbC1")).toBe("abc1");
    expect(normalizeSeed(" 7f ")).toBe("7f");
    expect(normalizeSeed(BLOCK)).toBe("ab12".repeat(16));
    expect(sessionTag("0xAB")).toBe(sessionTag("ab"));
    expect(sessionTag("ab")).toMatch(/^[0-9a-f]{6}$/);
  });

  it.each(["", "0x", "xyz", "0x12g4", "12 34", "a".repeat(65)])("refuses %j", (seed) => {
    expect(() => normalizeSeed(seed)).toThrow(/seed must be 1-64 hex digits/);
    expect(() => allocatePrompts(smallPool(3), seed, [])).toThrow(ArenaError);
  });
});

describe("allocatePrompts", () => {
  const pool = smallPool(60);

  it("same seed, same prompts; different seeds, different draws", () => {
    const slots = [
      { key: "a", count: 10 },
      { key: "b", count: 10 },
    ];
    expect(allocatePrompts(pool, "0xBEEF", slots)).toEqual(allocatePrompts(pool, "beef", slots));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9a-f]{1,64}$/),
        fc.stringMatching(/^[0-9a-f]{1,64}$/),
        (s, t) => {
          fc.pre(normalizeSeed(s) !== normalizeSeed(t));
          const ids = (seed: string) =>
            [...allocatePrompts(pool, seed, slots).values()].flat().map((p) => p.id);
          expect(ids(s)).toEqual(ids(s));
          // 20 of 60 in order: two seeds agreeing by chance is astronomically unlikely.
          expect(ids(s)).not.toEqual(ids(t));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("never repeats an entry across slots and honours counts and length filters", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{1,16}$/), slotsArb, (seed, raw) => {
        const slots = withKeys(raw);
        let got: Map<string, { id: string }[]>;
        try {
          got = allocatePrompts(pool, seed, slots);
        } catch (err) {
          // Only a lack of entries may fail, and then the demand really exceeds the pool.
          expect((err as Error).message).toMatch(/^prompt pool too small: slot "slot\d+" needs/);
          return;
        }
        const seen = new Set<string>();
        for (const s of slots) {
          const prompts = got.get(s.key) ?? [];
          expect(prompts).toHaveLength(s.count);
          prompts.forEach((p, i) => {
            expect(p.id).toMatch(new RegExp(`^pool:e\\d+#${s.key}\\.${i}$`));
            const entry = pool.find((e) => e.id === entryId(p.id)) as PoolEntry;
            if (s.lengths) expect(s.lengths).toContain(entry.length);
            expect(seen.has(entry.id)).toBe(false);
            seen.add(entry.id);
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("tags the first user message with the session and the prompt's index, and nothing else", () => {
    const got = allocatePrompts(pool, BLOCK, [
      { key: "x", count: 5 },
      { key: "y", count: 5 },
    ]);
    const tag = sessionTag(BLOCK);
    [...got.values()].flat().forEach((p, k) => {
      const entry = pool.find((e) => e.id === entryId(p.id)) as PoolEntry;
      const firstUser = entry.messages.findIndex((m) => m.role === "user");
      expect(p.messages).toEqual(
        entry.messages.map((m, i) =>
          i === firstUser ? { ...m, content: `[session ${tag} #${k}] ${m.content}` } : m,
        ),
      );
    });
    // The pool itself is left untouched.
    expect(pool[0]?.messages.at(-1)?.content).toBe("question 0");
  });

  it("gives a different tag, hence different texts, for the same entries in another session", () => {
    expect(sessionTag("01")).not.toBe(sessionTag("02"));
  });

  it("says clearly when the pool is too small, and refuses bad slots", () => {
    expect(() => allocatePrompts(pool, "1", [{ key: "all", count: 61 }])).toThrow(
      'prompt pool too small: slot "all" needs 61 prompts, only 60 left unused (pool of 60)',
    );
    expect(() =>
      allocatePrompts(pool, "1", [
        { key: "a", count: 55 },
        { key: "b", count: 6, lengths: ["long"] },
      ]),
    ).toThrow(/slot "b" needs 6 long prompts, only \d left unused/);
    expect(() =>
      allocatePrompts(pool, "1", [
        { key: "a", count: 1 },
        { key: "a", count: 1 },
      ]),
    ).toThrow('prompt slot "a" is given twice');
    expect(() => allocatePrompts(pool, "1", [{ key: "a", count: -1 }])).toThrow(/count -1/);
    expect(allocatePrompts(pool, "1", [{ key: "none", count: 0 }]).get("none")).toEqual([]);
  });
});
