// JSON fragments for the reference server's hot path. A streamed token costs a few string
// concatenations: each token's escaped text and bytes array are built once per vocabulary id and
// cached, and logprob values come preformatted from the model. No per-token JSON.stringify of
// objects, no per-token schema work.
import type { Vocabulary } from "../contract/tokenizer.js";
import type { EmittedToken } from "./generation.js";

export class Fragments {
  /** id → `{"token":"<text>","logprob":` */
  private readonly heads: (string | undefined)[];
  /** id → `,"bytes":[…]` */
  private readonly tails: (string | undefined)[];
  /** id → the token text as a JSON string */
  private readonly contents: (string | undefined)[];

  constructor(private readonly vocab: Vocabulary) {
    this.heads = new Array(vocab.size);
    this.tails = new Array(vocab.size);
    this.contents = new Array(vocab.size);
  }

  /** The token's text as a JSON string literal. */
  content(id: number): string {
    let s = this.contents[id];
    if (s === undefined) {
      s = JSON.stringify(this.vocab.text(id) ?? "");
      this.contents[id] = s;
    }
    return s;
  }

  private head(id: number): string {
    let s = this.heads[id];
    if (s === undefined) {
      s = `{"token":${this.content(id)},"logprob":`;
      this.heads[id] = s;
    }
    return s;
  }

  private tail(id: number): string {
    let s = this.tails[id];
    if (s === undefined) {
      s = `,"bytes":[${Array.prototype.join.call(this.vocab.bytes(id), ",")}]`;
      this.tails[id] = s;
    }
    return s;
  }

  /** One `logprobs.content[]` entry: the token, its logprob and bytes, and `topN` top_logprobs. */
  entry(t: EmittedToken, topN: number): string {
    const d = t.dist;
    let s = `${this.head(t.id)}${d.logprobText[t.rank]}${this.tail(t.id)},"top_logprobs":[`;
    for (let k = 0; k < topN; k++) {
      const id = d.ids[k] as number;
      s += `${k === 0 ? "" : ","}${this.head(id)}${d.logprobText[k]}${this.tail(id)}}`;
    }
    return `${s}]}`;
  }
}
