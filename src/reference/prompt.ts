// Prompt → context tokens for the reference server: the Qwen2.5 chat template rendered as text and
// encoded with the vocabulary. Encoding whole prompts with the library tokenizer costs ~0.6 µs per
// character, too slow for hundreds of requests a second, so this encoder splits the text the way
// the tokenizer does (special tokens, then Qwen2's pre-tokenizer regex) and encodes each piece once,
// caching the result: prose repeats its pieces, so almost every piece is a cache hit. The result is
// the library's encoding (a test checks that).
import { type ChatMessage, messageText } from "../contract/schemas.js";
import type { Vocabulary } from "../contract/tokenizer.js";

/** Qwen2.5's default system prompt, which its chat template adds when a chat has none. */
export const QWEN_DEFAULT_SYSTEM =
  "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

export interface RenderOptions {
  /** End with the assistant turn's header (default), as a chat completion does. */
  addGenerationPrompt?: boolean;
  /** Leave the last message open (no `<|im_end|>`), for the model to continue it. */
  continueFinalMessage?: boolean;
}

/** Renders a chat with the Qwen2.5 template, by default ending with the assistant turn's header. */
export function renderChatPrompt(
  messages: readonly ChatMessage[],
  { addGenerationPrompt = true, continueFinalMessage = false }: RenderOptions = {},
): string {
  let out = "";
  const first = messages[0];
  if (first === undefined || (first.role !== "system" && first.role !== "developer")) {
    out += `<|im_start|>system\n${QWEN_DEFAULT_SYSTEM}<|im_end|>\n`;
  }
  messages.forEach((m, i) => {
    const role = m.role === "developer" ? "system" : m.role;
    const open = continueFinalMessage && i === messages.length - 1;
    out += `<|im_start|>${role}\n${messageText(m)}${open ? "" : "<|im_end|>\n"}`;
  });
  return addGenerationPrompt ? `${out}<|im_start|>assistant\n` : out;
}

// Qwen2's pre-tokenizer pattern; JS has no inline `(?i:…)`, so the contractions are spelled out.
const PRETOKENIZE =
  /'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

const CACHE_LIMIT = 200_000;

export class PromptEncoder {
  private readonly special: RegExp | null;
  private readonly specialIds = new Map<string, number>();
  private readonly cache = new Map<string, readonly number[]>();

  constructor(private readonly vocab: Vocabulary) {
    // Added tokens (special or not, e.g. `<tool_call>`) are matched before BPE, as the tokenizer
    // does. They are the ids that are no BPE piece; Qwen puts them at the end of the vocabulary.
    const names: string[] = [];
    for (let id = vocab.size - 1; id >= Math.max(0, vocab.size - 4096); id--) {
      const text = vocab.text(id);
      if (text === null || text.length === 0 || vocab.idOfText(text) === id) continue;
      names.push(text);
      this.specialIds.set(text, id);
    }
    // Longest first, so a special token that prefixes another cannot shadow it.
    names.sort((a, b) => b.length - a.length);
    this.special =
      names.length === 0
        ? null
        : new RegExp(`(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    const normalized = text.normalize("NFC");
    const parts = this.special ? normalized.split(this.special) : [normalized];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i % 2 === 1) {
        out.push(this.specialIds.get(part) as number);
        continue;
      }
      if (part.length === 0) continue;
      for (const m of part.matchAll(PRETOKENIZE)) this.piece(m[0], out);
    }
    return out;
  }

  private piece(piece: string, out: number[]): void {
    const hit = this.cache.get(piece);
    if (hit !== undefined) {
      for (const id of hit) out.push(id);
      return;
    }
    const single = this.vocab.idOfText(piece);
    const ids = single !== undefined ? [single] : this.vocab.encode(piece);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(piece, ids);
    for (const id of ids) out.push(id);
  }
}
