import { beforeAll, describe, expect, it } from "vitest";
import { loadVocabulary, type Vocabulary } from "../../src/contract/tokenizer.js";
import { countOutputTokens, entryBytes } from "../../src/harness/tokens.js";

let vocab: Vocabulary;
beforeAll(() => {
  vocab = loadVocabulary();
});

/** logprobs entries as vLLM reports them for the text's own tokenization. */
function entriesOf(text: string) {
  return vocab.encode(text).map((id) => {
    const t = vocab.text(id);
    const bytes = Array.from(vocab.bytes(id));
    const hex = bytes.map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
    return { token: t ?? `bytes:${hex}`, bytes, id };
  });
}

/** A text whose tokenization contains tokens that are not whole UTF-8 by themselves. */
function textWithPartialTokens(): string {
  for (const candidate of ["𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🫠🪿🫨", "ꙮ𓀀𓂀", "𒀀𒀁𒀂"]) {
    if (vocab.encode(candidate).some((id) => vocab.text(id) === null)) return candidate;
  }
  throw new Error("no candidate text has partial UTF-8 tokens");
}

describe("countOutputTokens", () => {
  it("counts the logprobs entries of a valid response", () => {
    const text = " The quick brown fox jumps over the lazy dog. 你好世界 😀";
    const entries = entriesOf(text);
    const c = countOutputTokens(text, entries, vocab);
    expect(c).toEqual({ valid: true, count: entries.length, tokenizerCount: entries.length });
  });

  it("accepts partial UTF-8 tokens in vLLM's bytes:\\xNN form and in OpenAI's bytes-field form", () => {
    const text = `Look: ${textWithPartialTokens()}!`;
    const vllm = entriesOf(text);
    expect(vllm.some((e) => e.token.startsWith("bytes:"))).toBe(true);
    expect(countOutputTokens(text, vllm, vocab).valid).toBe(true);
    // OpenAI / vLLM-with-replacement: the text shows U+FFFD, the bytes field names the token.
    const replaced = vllm.map((e) =>
      e.token.startsWith("bytes:") ? { token: "\ufffd", bytes: e.bytes } : e,
    );
    expect(countOutputTokens(text, replaced, vocab)).toMatchObject({
      valid: true,
      count: vllm.length,
    });
    const escaped = vllm.map((e) =>
      e.token.startsWith("bytes:") ? { token: e.token.slice(6), bytes: e.bytes } : e,
    );
    expect(countOutputTokens(text, escaped, vocab).valid).toBe(true);
  });

  it("rejects a concatenation that differs from the streamed text", () => {
    const text = " The quick brown fox";
    const entries = entriesOf(text);
    const c = countOutputTokens(`${text} jumps`, entries, vocab);
    expect(c).toMatchObject({ valid: false, failure: "text_mismatch" });
    expect(c.reason).toMatch(/first difference at byte 20/);
    expect(countOutputTokens(text, entries.slice(1), vocab)).toMatchObject({
      valid: false,
      failure: "text_mismatch",
    });
  });

  it("rejects an entry that is not exactly one vocabulary token", () => {
    const text = " The quick brown fox";
    const merged = [{ token: " The quick", bytes: null }, ...entriesOf(" brown fox")];
    const c = countOutputTokens(text, merged, vocab);
    expect(c).toMatchObject({ valid: false, failure: "not_vocab_token" });
    expect(c.reason).toMatch(/entry 0: " The quick" is not one vocabulary token/);
    expect(
      countOutputTokens("\u0000", [{ token: "bytes:\\xff\\xfe\\xfd\\xfc", bytes: null }], vocab),
    ).toMatchObject({ valid: false, failure: "not_vocab_token" });
  });

  it("rejects a bytes field that disagrees with a whole token's text", () => {
    const c = countOutputTokens(" The", [{ token: " The", bytes: [32, 84, 104] }], vocab);
    expect(c).toMatchObject({ valid: false, failure: "bytes_mismatch" });
  });

  it("rejects a count the text's own tokenization disagrees with beyond the tolerance", () => {
    const text = "The quick brown fox jumps over the lazy dog";
    // Every character is a vocabulary token, so this concatenates correctly but is padded 4x.
    const chars = [...text].map((ch) => ({ token: ch, bytes: Array.from(Buffer.from(ch)) }));
    const c = countOutputTokens(text, chars, vocab);
    expect(c).toMatchObject({ valid: false, failure: "tokenization", count: chars.length });
    expect(c.tokenizerCount).toBe(vocab.encode(text).length);
    expect(c.reason).toMatch(/43 logprobs tokens but the text tokenizes to 9/);
  });

  it("accepts a small disagreement within the tolerance (a token split in two)", () => {
    const text = " The quick brown fox";
    const entries = entriesOf(text);
    const split = [
      { token: " qu", bytes: Array.from(Buffer.from(" qu")) },
      { token: "ick", bytes: Array.from(Buffer.from("ick")) },
    ];
    const uneven = [entries[0], ...split, ...entries.slice(2)] as typeof entries;
    expect(countOutputTokens(text, uneven, vocab)).toMatchObject({ valid: true, count: 5 });
    expect(countOutputTokens(text, uneven, vocab, { relative: 0, absolute: 0 })).toMatchObject({
      valid: false,
      failure: "tokenization",
    });
  });

  it("counts an empty response as zero valid tokens", () => {
    expect(countOutputTokens("", [], vocab)).toEqual({ valid: true, count: 0, tokenizerCount: 0 });
  });

  it("entryBytes names the token of every vocabulary entry", () => {
    for (const id of [0, 13, 220, 5691, 100000]) {
      const t = vocab.text(id);
      if (t === null) continue;
      const r = entryBytes({ token: t, bytes: null }, vocab);
      expect("bytes" in r && Buffer.from(r.bytes).equals(Buffer.from(vocab.bytes(id)))).toBe(true);
    }
  });
});
