// The arena's prompt pool (data/prompt-pool.json, made by scripts/gen-prompt-pool.ts) and the seeded
// choice of a session's prompts from it (DESIGN §2.2 step 1).
//
// The pool is public, so a miner could precompute answers (or KV caches) for every entry and ship
// them in the image. To make that worthless, every prompt of a session starts its first user message
// with a tag derived from the session seed and the prompt's index, `[session 3fa9c1 #17] `: the
// seed is a recent block hash, so no tagged text, and no token prefix past any system message, can
// be known before the session. (A system message before the tag is a short public persona, a
// prefix like the chat template's default system prompt; the baseline may cache it as well.)
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { Prompt, PromptLength } from "../harness/prompts.js";
import { ArenaError, type PromptSlot } from "./config.js";

export const PROMPT_LENGTHS = ["short", "medium", "long"] as const satisfies PromptLength[];

const PoolMessageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().min(1).max(200_000),
});

export const PoolEntrySchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{1,40}$/, "use 1-40 lowercase letters, digits or '-'"),
    length: z.enum(PROMPT_LENGTHS),
    messages: z.array(PoolMessageSchema).min(1).max(32),
  })
  .refine((e) => e.messages.at(-1)?.role === "user", {
    path: ["messages"],
    message: "the last message must be the user's",
  });
export type PoolEntry = z.infer<typeof PoolEntrySchema>;

export const PromptPoolSchema = z
  .array(PoolEntrySchema)
  .min(1)
  .superRefine((pool, ctx) => {
    const seen = new Set<string>();
    pool.forEach((e, i) => {
      if (seen.has(e.id))
        ctx.addIssue({ code: "custom", path: [i, "id"], message: `id "${e.id}" is used twice` });
      seen.add(e.id);
    });
  });
export type PromptPool = readonly PoolEntry[];

/** The package root: the nearest directory above this module whose package.json is cacheon's. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "cacheon"
    )
      return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new ArenaError("cannot find the cacheon package root (for its data/ folder)");
    dir = up;
  }
}

/** Where the shipped pool lives; works from src/ (vitest) and from dist/src/ (the build). */
export function defaultPoolPath(): string {
  return join(packageRoot(), "data", "prompt-pool.json");
}

const loaded = new Map<string, PromptPool>();

/** Reads and validates a pool file, once per path; throws ArenaError with a one-line message. */
export function loadPromptPool(path = defaultPoolPath()): PromptPool {
  const hit = loaded.get(path);
  if (hit) return hit;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ArenaError(`cannot read prompt pool ${path}: ${(err as Error).message}`);
  }
  const r = PromptPoolSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new ArenaError(
      `prompt pool ${path} is invalid: ${first?.path.join(".")}: ${first?.message}` +
        (r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : ""),
    );
  }
  loaded.set(path, r.data);
  return r.data;
}

/** Lowercase hex without `0x`: a block hash (`0x` + 64 hex) or any shorter hex string. */
export function normalizeSeed(seed: string): string {
  const hex = seed.trim().replace(/^0x/i, "").toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(hex))
    throw new ArenaError(
      `seed must be 1-64 hex digits, optionally after 0x (a block hash), got "${seed}"`,
    );
  return hex;
}

/** A deterministic stream of uniform integers below `n`, from SHA-256 of the seed in counter mode. */
function seededInts(seedHex: string): (n: number) => number {
  let block = Buffer.alloc(0);
  let offset = 0;
  let counter = 0;
  return (n) => {
    if (offset + 4 > block.length) {
      block = createHash("sha256").update(`cacheon-pool:${seedHex}:${counter++}`).digest();
      offset = 0;
    }
    const u = block.readUInt32BE(offset);
    offset += 4;
    // 2^32 is far above any pool size: the modulo bias is below 1e-6.
    return u % n;
  };
}

/** The session tag's 6 hex digits. */
export function sessionTag(seed: string): string {
  return createHash("sha256")
    .update(`cacheon-session:${normalizeSeed(seed)}`)
    .digest("hex")
    .slice(0, 6);
}

/**
 * Draws each slot's prompts from the pool without replacement across all slots: no entry appears
 * twice in one call. The same seed gives the same prompts; a different seed a different draw. Each
 * prompt's id is `pool:<entry id>#<slot key>.<i>` and its first user message starts with the
 * session tag and the prompt's index in the call (see the top of this file).
 */
export function allocatePrompts(
  pool: PromptPool,
  seed: string,
  slots: readonly PromptSlot[],
): Map<string, Prompt[]> {
  const hex = normalizeSeed(seed);
  const tag = sessionTag(hex);
  const keys = new Set<string>();
  for (const s of slots) {
    if (keys.has(s.key)) throw new ArenaError(`prompt slot "${s.key}" is given twice`);
    keys.add(s.key);
    if (!Number.isInteger(s.count) || s.count < 0)
      throw new ArenaError(`prompt slot "${s.key}" has count ${s.count}: need a whole number >= 0`);
  }
  // One seeded permutation of the pool (Fisher-Yates); each slot takes the first unused entries of
  // its lengths in that order.
  const next = seededInts(hex);
  const order = pool.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = next(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const used = new Uint8Array(pool.length);
  const out = new Map<string, Prompt[]>();
  let index = 0;
  for (const slot of slots) {
    const prompts: Prompt[] = [];
    for (let k = 0; k < order.length && prompts.length < slot.count; k++) {
      const i = order[k] as number;
      const entry = pool[i] as PoolEntry;
      if (used[i] || (slot.lengths && !slot.lengths.includes(entry.length))) continue;
      used[i] = 1;
      prompts.push(tagged(entry, `${slot.key}.${prompts.length}`, `[session ${tag} #${index++}] `));
    }
    if (prompts.length < slot.count) {
      const kinds = slot.lengths ? `${slot.lengths.join("/")} ` : "";
      throw new ArenaError(
        `prompt pool too small: slot "${slot.key}" needs ${slot.count} ${kinds}prompts, only ${prompts.length} left unused (pool of ${pool.length})`,
      );
    }
    out.set(slot.key, prompts);
  }
  return out;
}

function tagged(entry: PoolEntry, suffix: string, prefix: string): Prompt {
  let done = false;
  const messages = entry.messages.map((m) => {
    if (done || m.role !== "user") return { role: m.role, content: m.content };
    done = true;
    return { role: m.role, content: prefix + m.content };
  });
  return { id: `pool:${entry.id}#${suffix}`, messages };
}
