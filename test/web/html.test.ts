import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  attrs,
  element,
  escapeHtml,
  type HtmlValue,
  html,
  join,
  SafeHtml,
  safeUrl,
  UNSAFE_URL,
} from "../../src/web/html.js";

/** What a browser reads back from escaped text (the inverse of escapeHtml, NUL aside). */
function decode(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|#x[0-9A-F]+);/g, (_, n: string) =>
    n.startsWith("#x")
      ? String.fromCharCode(Number.parseInt(n.slice(2), 16))
      : (({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" } as Record<string, string>)[n] ??
        ""),
  );
}

describe("escapeHtml", () => {
  it("writes & < > \" ' as entities and control characters as references", () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;",
    );
    expect(escapeHtml("&amp;")).toBe("&amp;amp;");
    expect(escapeHtml("a\tb\nc\rd\x1b[31m\x7f\x0c")).toBe("a\tb\nc&#xD;d&#x1B;[31m&#x7F;&#xC;");
    expect(escapeHtml("nul\0")).toBe("nul\uFFFD");
    expect(escapeHtml("plain ∅ – ü")).toBe("plain ∅ – ü");
  });

  it("leaves nothing that can end text or a quoted value, and reads back as given", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const out = escapeHtml(s);
        expect(out).not.toMatch(/[<>"']/);
        // Every & starts one of the entities written.
        expect(out.replace(/&(amp|lt|gt|quot|#39|#x[0-9A-F]+);/g, "")).not.toContain("&");
        // biome-ignore lint/suspicious/noControlCharactersInRegex: none may be left
        expect(out).not.toMatch(/[\0-\x08\x0b-\x1f\x7f]/);
        expect(decode(out)).toBe(s.replaceAll("\0", "\uFFFD"));
      }),
    );
  });
});

describe("html", () => {
  it("escapes text, formats numbers, leaves out null and undefined, joins arrays", () => {
    const evil = `"><script>alert(1)</script>`;
    const escaped = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
    expect(String(html`<p title="${evil}">${evil}</p>`)).toBe(
      `<p title="${escaped}">${escaped}</p>`,
    );
    expect(String(html`<td data-key="${1.5}">${-0}${null}${undefined}${Number.NaN}</td>`)).toBe(
      '<td data-key="1.5">0NaN</td>',
    );
    expect(String(html`<ul>${["<", html`<li>a</li>`, [html`<li>b</li>`, 2]]}</ul>`)).toBe(
      "<ul>&lt;<li>a</li><li>b</li>2</ul>",
    );
    expect(String(join([html`<b>1</b>`, "<2>", 3], html`<br>`))).toBe("<b>1</b><br>&lt;2&gt;<br>3");
    expect(String(join(["a", "b"], " & "))).toBe("a &amp; b");
  });

  it("includes SafeHtml as is, and only what html, attrs and element made is SafeHtml", () => {
    const cell = html`<td>${"x"}</td>`;
    expect(cell).toBeInstanceOf(SafeHtml);
    expect(String(html`<tr>${cell}</tr>`)).toBe("<tr><td>x</td></tr>");
    // A look-alike object is not markup: it cannot be interpolated at all.
    const fake = { toString: () => "<script>" } as unknown as HtmlValue;
    expect(() => html`<p>${fake}</p>`).toThrow(TypeError);
  });

  it("takes attributes inside a tag only as SafeHtml", () => {
    const key = html` data-key="${'"x"'}"`;
    expect(String(html`<td${key}${null}>1</td>`)).toBe('<td data-key="&quot;x&quot;">1</td>');
    expect(String(html`<td${[attrs({ class: "a", id: null }), attrs({ "data-n": 2 })]}>`)).toBe(
      '<td class="a" data-n="2">',
    );
    expect(() => html`<td${" onclick=alert(1)"}>`).toThrow(/inside a tag/);
    expect(() => html`<td ${"onclick"}="x">`).toThrow(/inside a tag/);
    expect(() => html`<${"img"} src=x>`).toThrow(/inside a tag/);
  });

  it("refuses places escaping cannot make safe", () => {
    expect(() => html`<a href=${"/x"}>`).toThrow(/unquoted/);
    expect(() => html`<a title= ${"x"}>`).toThrow(/unquoted/);
    expect(() => html`<a class=x${"y"}>`).toThrow(/unquoted/);
    expect(() => html`<a onclick="go(${"1"})">`).toThrow(/onclick/);
    expect(() => html`<a ONMOUSEOVER='${"1"}'>`).toThrow(/onmouseover/);
    expect(() => html`<p style="color: ${"red"}">`).toThrow(/style/);
    expect(() => html`<script>var x = ${"1"};</script>`).toThrow(/<script>/);
    expect(() => html`<style>p { color: ${"red"} }</style>`).toThrow(/<style>/);
    expect(() => html`<!-- ${"x"} -->`).toThrow(/comment/);
    expect(() => html`<p title="${html`<b>`}">`).toThrow(/attribute value/);
    // After the end of a script or comment, text is text again.
    expect(String(html`<script src="/a.js"></script><p>${"<"}</p><!-- c --><i>${"&"}</i>`)).toBe(
      '<script src="/a.js"></script><p>&lt;</p><!-- c --><i>&amp;</i>',
    );
    expect(String(html`<p>a < b, ${"c"} > d</p>`)).toBe("<p>a < b, c > d</p>");
  });

  it("keeps a URL attribute to http, https, mailto and relative URLs", () => {
    const a = (u: string) => String(html`<a href="${u}">x</a>`);
    expect(a("/evals/1")).toBe('<a href="/evals/1">x</a>');
    expect(a("https://x.org/?a=1&b=2")).toBe('<a href="https://x.org/?a=1&amp;b=2">x</a>');
    expect(a("mailto:a@b.c")).toBe('<a href="mailto:a@b.c">x</a>');
    expect(a("?q=javascript:alert(1)")).toBe('<a href="?q=javascript:alert(1)">x</a>');
    for (const bad of [
      "javascript:alert(1)",
      " JaVaScRiPt:alert(1)",
      "\x01java\tscript:alert(1)",
      "java\nscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
    ])
      expect(a(bad)).toBe(`<a href="${UNSAFE_URL}">x</a>`);
    // Each interpolation at the start of the value is checked, so two cannot spell a scheme.
    expect(String(html`<a href="${""}${"javascript:alert(1)"}">`)).toBe(`<a href="${UNSAFE_URL}">`);
    expect(String(html`<img src='${"javascript:x"}'>`)).toBe(`<img src='${UNSAFE_URL}'>`);
    // After a static path the scheme is already decided.
    expect(String(html`<a href="/evals/${"javascript:1"}">`)).toBe(
      '<a href="/evals/javascript:1">',
    );
    expect(String(attrs({ href: "javascript:alert(1)", title: "javascript:x" }))).toBe(
      ` href="${UNSAFE_URL}" title="javascript:x"`,
    );
    expect(safeUrl("#top")).toBe("#top");
    expect(safeUrl("HTTPS://x")).toBe("HTTPS://x");
  });

  it("keeps any string inert in text and in every quoted attribute", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const out = String(html`<p class="${a}" title='${b}'>${a}${b}</p>`);
        const m = /^<p class="([^"<>]*)" title='([^'<>]*)'>([^<>]*)<\/p>$/.exec(out);
        expect(m).not.toBeNull();
        expect(decode(m?.[1] ?? "")).toBe(a.replaceAll("\0", "\uFFFD"));
        expect(decode(m?.[2] ?? "")).toBe(b.replaceAll("\0", "\uFFFD"));
        expect(decode(m?.[3] ?? "")).toBe(`${a}${b}`.replaceAll("\0", "\uFFFD"));
      }),
    );
  });
});

describe("attrs and element", () => {
  it("write escaped attributes and bodies", () => {
    expect(String(element("rect", { x: "1", "data-series": `a"b` }))).toBe(
      '<rect x="1" data-series="a&quot;b"/>',
    );
    expect(String(element("text", { class: "t" }, ["<b>", element("tspan", {}, "&")]))).toBe(
      '<text class="t">&lt;b&gt;<tspan>&amp;</tspan></text>',
    );
    expect(String(element("g", {}, ""))).toBe("<g></g>");
  });

  it("refuse names that are not plain names, event handlers, style and script", () => {
    expect(() => attrs({ 'a" onclick="x': "1" })).toThrow(TypeError);
    expect(() => attrs({ onload: "x" })).toThrow(TypeError);
    expect(() => attrs({ style: "x" })).toThrow(TypeError);
    expect(() => element("script", {}, "x")).toThrow(TypeError);
    expect(() => element("img src=x", {})).toThrow(TypeError);
  });
});
