// HTML that escapes by construction, for the server-rendered dashboard. Markup is built only with
// the `html` tag (with `join`, `attrs`, and `element` for the charts' generated SVG): every
// interpolated value is text and is escaped, unless it is `SafeHtml`, which only those functions
// make; there is no way to declare a string trusted. A forgotten escape is no longer possible;
// forgetting to mark markup as markup shows it escaped, which is visible and harmless.
//
// What an interpolation may be, by where it sits in the template (decided from the template's
// literal text, once per template):
// - between tags: text (escaped), a number (its String()), null or undefined (nothing), SafeHtml
//   (as is), or an array of these (joined with nothing between);
// - inside a quoted attribute value: the same but SafeHtml, which is refused (a value is text).
//   In a URL attribute (href, src, …) a value at the start of the attribute's value whose scheme
//   is not http, https or mailto (javascript:, data:, …) is replaced with about:invalid#unsafe-url;
// - inside a tag, where attributes go (`<td${attrs}>`): only SafeHtml, null or undefined (build it
//   with `html` or `attrs`);
// - anywhere else (an unquoted attribute value, an event-handler or style attribute, a comment,
//   inside <script> or <style>): refused. Escaping cannot make those safe.
// A refusal is a TypeError when the template runs: a bug in the page's code, never in its data.
// Booleans are refused by the types (write String(b) where "true" or "false" is meant): a stray
// `cond && html`…`` would otherwise print "false".
//
// Escaping writes & < > " ' as entities (&amp; &lt; &gt; &quot; &#39;), wherever the text goes.
// Control characters other than tab and line feed (carriage return included) are written as
// character references (&#x1B;), so a page stays conforming and an attribute keeps the exact string
// (a raw carriage return would read back as a line feed); NUL, which HTML cannot carry, becomes
// U+FFFD.

let make: (s: string) => SafeHtml;

/** Markup that is safe to include as is: made only by `html`, `join`, `attrs` and `element`. */
export class SafeHtml {
  readonly #html: string;
  private constructor(markup: string) {
    this.#html = markup;
  }
  static {
    make = (s) => new SafeHtml(s);
  }
  toString(): string {
    return this.#html;
  }
}

export type HtmlValue = SafeHtml | string | number | null | undefined | readonly HtmlValue[];
/** What an attribute value may be made of: text, never markup. */
export type AttrValue = string | number | null | undefined | readonly AttrValue[];

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "\0": "\uFFFD",
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are escaped too
const ESCAPED = /[&<>"'\0-\x08\x0b-\x1f\x7f]/g;

/** Escapes text for an HTML (or inline SVG) text node or quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(
    ESCAPED,
    (c) => ENTITIES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  );
}

const URL_ATTRS = new Set([
  "href",
  "src",
  "srcset",
  "action",
  "formaction",
  "xlink:href",
  "poster",
  "cite",
  "data",
  "background",
  "ping",
  "manifest",
]);
const SAFE_SCHEMES = new Set(["http", "https", "mailto"]);
export const UNSAFE_URL = "about:invalid#unsafe-url";

/** The URL as given, unless a browser would read a scheme other than http(s) or mailto in it. */
export function safeUrl(url: string): string {
  // Browsers drop leading spaces and controls, and tabs and newlines anywhere, before the scheme.
  const seen = url.replace(/[\t\n\r]/g, "").replace(/^[\0-\x20]+/, "");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(seen)?.[1]?.toLowerCase();
  return scheme === undefined || SAFE_SCHEMES.has(scheme) ? url : UNSAFE_URL;
}

type Context =
  | { kind: "text" }
  | { kind: "tag" }
  | { kind: "attr"; url: boolean }
  | { kind: "refused"; why: string };

const contexts = new WeakMap<TemplateStringsArray, Context[]>();

/** Where each interpolation of a template sits, from its literal text. */
type State = "text" | "tagName" | "tag" | "eq" | "dq" | "sq" | "unquoted" | "comment" | "raw";

function analyse(strings: TemplateStringsArray): Context[] {
  let state: State = "text";
  let tagName = "";
  let closing = false;
  let attr = "";
  let valueSoFar = "";
  let rawEnd = "";
  const out: Context[] = [];
  // After a tag's `>`: its content is text, or raw text up to its end tag for script and style.
  const endTag = (): State => {
    const name = tagName.toLowerCase();
    if (closing || (name !== "script" && name !== "style")) return "text";
    rawEnd = `</${name}`;
    return "raw";
  };
  for (const [n, s] of strings.entries()) {
    for (let i = 0; i < s.length; i++) {
      const c = s[i] as string;
      switch (state) {
        case "text":
          if (s.startsWith("<!--", i)) {
            state = "comment";
            i += 3;
          } else if (c === "<" && (i + 1 === s.length || /[a-zA-Z/]/.test(s[i + 1] as string))) {
            closing = s[i + 1] === "/";
            if (closing) i++;
            tagName = "";
            state = "tagName";
          }
          break;
        case "tagName":
          if (/[a-zA-Z0-9:-]/.test(c)) tagName += c;
          else if (c === ">") state = endTag();
          else state = "tag";
          break;
        case "tag":
          if (c === ">") state = endTag();
          else if (c === "=") state = "eq";
          else if (/[\s/]/.test(c)) attr = "";
          else attr += c.toLowerCase();
          break;
        case "eq":
          if (c === '"' || c === "'") {
            state = c === '"' ? "dq" : "sq";
            valueSoFar = "";
          } else if (c === ">") state = endTag();
          else if (!/\s/.test(c)) state = "unquoted";
          break;
        case "dq":
        case "sq":
          if (c === (state === "dq" ? '"' : "'")) {
            state = "tag";
            attr = "";
          } else valueSoFar += c;
          break;
        case "unquoted":
          if (c === ">") state = endTag();
          else if (/\s/.test(c)) {
            state = "tag";
            attr = "";
          }
          break;
        case "comment":
          if (s.startsWith("-->", i)) {
            state = "text";
            i += 2;
          }
          break;
        case "raw":
          if (s.slice(i, i + rawEnd.length).toLowerCase() === rawEnd) {
            closing = true;
            tagName = rawEnd.slice(2);
            state = "tag";
            i += rawEnd.length - 1;
          }
          break;
      }
    }
    if (n === strings.length - 1) break;
    switch (state) {
      case "text":
        out.push({ kind: "text" });
        break;
      case "tagName":
      case "tag":
        // After `<td${attrs}` the template goes on with attributes, not more of the tag's name.
        if (state === "tagName") state = "tag";
        out.push({ kind: "tag" });
        break;
      case "dq":
      case "sq":
        if (attr.startsWith("on") || attr === "style" || attr === "srcdoc")
          out.push({ kind: "refused", why: `a value in the ${attr} attribute` });
        else out.push({ kind: "attr", url: URL_ATTRS.has(attr) && valueSoFar.trim() === "" });
        break;
      case "eq":
      case "unquoted":
        out.push({ kind: "refused", why: "an unquoted attribute value" });
        break;
      case "comment":
        out.push({ kind: "refused", why: "a comment" });
        break;
      case "raw":
        out.push({ kind: "refused", why: `a <${rawEnd.slice(2)}> element` });
        break;
    }
  }
  return out;
}

function text(v: HtmlValue, where: string): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return escapeHtml(v);
  if (typeof v === "number") return String(v);
  if (v instanceof SafeHtml) {
    if (where === "attr") throw new TypeError("html: markup interpolated in an attribute value");
    return v.toString();
  }
  if (Array.isArray(v)) return v.map((x) => text(x, where)).join("");
  throw new TypeError(`html: cannot interpolate a ${typeof v}`);
}

function attrValue(v: HtmlValue, url: boolean): string {
  if (!url) return text(v, "attr");
  // The URL check reads the value as the browser will, so it runs on the text before escaping.
  const raw = (x: HtmlValue): string =>
    x === null || x === undefined
      ? ""
      : Array.isArray(x)
        ? x.map(raw).join("")
        : typeof x === "string" || typeof x === "number"
          ? String(x)
          : text(x, "attr");
  return escapeHtml(safeUrl(raw(v)));
}

/** The tag: a template whose interpolations are escaped by where they sit (see the top). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let ctx = contexts.get(strings);
  if (!ctx) {
    ctx = analyse(strings);
    contexts.set(strings, ctx);
  }
  let out = strings[0] ?? "";
  for (const [i, v] of values.entries()) {
    const c = ctx[i] as Context;
    switch (c.kind) {
      case "text":
        out += text(v, "text");
        break;
      case "attr":
        out += attrValue(v, c.url);
        break;
      case "tag":
        if (v !== null && v !== undefined && !(v instanceof SafeHtml) && !isMarkupArray(v))
          throw new TypeError("html: text interpolated inside a tag (use attrs() or html``)");
        out += text(v, "tag");
        break;
      case "refused":
        throw new TypeError(`html: no interpolation in ${c.why}`);
    }
    out += strings[i + 1] ?? "";
  }
  return make(out);
}

function isMarkupArray(v: HtmlValue): boolean {
  return Array.isArray(v) && v.every((x) => x instanceof SafeHtml || isMarkupArray(x));
}

/** The values as in `html`, with `separator` between each two. */
export function join(values: readonly HtmlValue[], separator: HtmlValue): SafeHtml {
  const sep = text(separator, "text");
  return make(values.map((v) => text(v, "text")).join(sep));
}

const NAME = /^[a-zA-Z][a-zA-Z0-9:_.-]*$/;

/**
 * ` name="value"` for each attribute, values escaped; null and undefined leave the attribute out.
 * Names come from code and must be plain names; event handlers and style are refused, and URL
 * attributes get the same check as in `html`.
 */
export function attrs(a: Readonly<Record<string, AttrValue>>): SafeHtml {
  let out = "";
  for (const [name, v] of Object.entries(a)) {
    if (v === null || v === undefined) continue;
    const lower = name.toLowerCase();
    if (!NAME.test(name) || lower.startsWith("on") || lower === "style" || lower === "srcdoc")
      throw new TypeError(`attrs: refused attribute name ${JSON.stringify(name)}`);
    out += ` ${name}="${attrValue(v, URL_ATTRS.has(lower))}"`;
  }
  return make(out);
}

/** `<name attrs…/>` without a body, else `<name attrs…>body</name>`; body as in `html`. */
export function element(
  name: string,
  a: Readonly<Record<string, AttrValue>>,
  body?: HtmlValue,
): SafeHtml {
  const lower = name.toLowerCase();
  if (!NAME.test(name) || lower === "script" || lower === "style")
    throw new TypeError(`element: refused element name ${JSON.stringify(name)}`);
  const open = `<${name}${attrs(a)}`;
  return make(body === undefined ? `${open}/>` : `${open}>${text(body, "text")}</${name}>`);
}
