// A small built-in prompt set with mixed lengths, for `cacheon bench` until the arena's prompt pool
// exists. No prompt is sent twice in a run (DESIGN §2.2): every request gets a unique case tag at the
// start of its prompt, so neither a response cache nor prefix sharing between requests can help.
import type { ChatMessage } from "../contract/schemas.js";
import { mulberry32 } from "./stats.js";

export type PromptLength = "short" | "medium" | "long";

export interface BasePrompt {
  id: string;
  length: PromptLength;
  text: string;
}

const PARAGRAPHS = [
  "The harbour town woke slowly. Fishing boats came in one after another, their crews sorting the catch on the quay while gulls argued over the scraps. By eight the market stalls were up, and the smell of bread from the bakery on the corner mixed with salt and diesel.",
  "A cache is only as good as its hit rate. When the working set fits, reads cost a few nanoseconds; when it does not, every miss falls through to a slower tier, and the tail latency of the whole system is set by how often that happens and how long the slowest tier takes.",
  "In the spring of that year the committee met four times. The first meeting settled the budget, the second argued about the schedule, the third produced a draft that nobody liked, and the fourth approved a shorter version of the same draft with two paragraphs removed.",
  "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen. The light reactions split water and store energy in ATP and NADPH; the Calvin cycle then uses that energy to fix carbon into three-carbon sugars that the plant builds everything else from.",
  "The old railway line had been closed for thirty years before volunteers cleared the track bed. They cut back the brambles, rebuilt two small bridges, and laid gravel over the worst of the mud, so that by autumn walkers and cyclists could follow it from the valley to the coast.",
  "Binary search halves the interval on every step, so a sorted array of a million elements needs at most twenty comparisons. The subtle part is the boundary: off-by-one errors in the update of the low and high indices are the most common bug, and they only show on some inputs.",
];

const BASE: BasePrompt[] = [
  { id: "s1", length: "short", text: "Name three primary colours." },
  { id: "s2", length: "short", text: "What is the capital of Portugal? Answer in one sentence." },
  { id: "s3", length: "short", text: "Write a haiku about the sea." },
  { id: "s4", length: "short", text: "Give one tip for writing clear error messages." },
  {
    id: "m1",
    length: "medium",
    text: `Summarise the following paragraph in two sentences.\n\n${PARAGRAPHS[0]}`,
  },
  {
    id: "m2",
    length: "medium",
    text: `Explain the idea below to a new engineer, with one example.\n\n${PARAGRAPHS[1]}`,
  },
  {
    id: "m3",
    length: "medium",
    text: `Rewrite this paragraph in a more formal register.\n\n${PARAGRAPHS[5]}`,
  },
  {
    id: "l1",
    length: "long",
    text: `Read the notes below, then list the five most important facts they contain.\n\n${PARAGRAPHS.join("\n\n")}`,
  },
  {
    id: "l2",
    length: "long",
    text: `Here are several unrelated passages.\n\n${[...PARAGRAPHS].reverse().join("\n\n")}\n\nWrite a short title for each passage, then say which one you found most interesting and why.`,
  },
];

export const BUILTIN_PROMPTS: readonly BasePrompt[] = BASE;

export interface Prompt {
  /** Stable id: `builtin:<base id>#<tag>`. */
  id: string;
  messages: ChatMessage[];
}

/**
 * Draws the prompts for `count` requests from the built-in set (seeded, so a run is reproducible),
 * each made unique by `tag` and its index.
 */
export function builtinPrompts(
  count: number,
  opts: { seed: number; tag: string; lengths?: readonly PromptLength[] },
): Prompt[] {
  const pool = opts.lengths ? BASE.filter((p) => opts.lengths?.includes(p.length)) : BASE;
  if (pool.length === 0) throw new RangeError("no built-in prompt has the requested lengths");
  const rand = mulberry32(opts.seed);
  const out: Prompt[] = [];
  for (let i = 0; i < count; i++) {
    const base = pool[Math.floor(rand() * pool.length)] as BasePrompt;
    const tag = `${opts.tag}.${i}`;
    out.push({
      id: `builtin:${base.id}#${tag}`,
      messages: [{ role: "user", content: `[case ${tag}] ${base.text}` }],
    });
  }
  return out;
}
