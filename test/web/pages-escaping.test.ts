// Every dashboard page rendered with hostile strings in every field a miner (or a broken pod, or a
// tampered report) controls: the output must be the same document as with harmless strings of the
// same shape, tag for tag and attribute for attribute, and show the hostile text escaped. No HTML
// parser needed: escaped text holds no < > " ', so tags and quoted attributes read off with regexes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../src/web/html.js";
import { dashboardPage, errorPage, evalPage } from "../../src/web/pages.js";
import { type PageInputs, pageInputs, type Text } from "./page-fixtures.js";

const MARKERS = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '" onerror="alert(1)',
  "'",
  '"',
  "&amp;",
  "&lt;script&gt;",
  "</textarea><script>alert(1)</script>",
  "</title><script>alert(1)</script>",
  "javascript:alert(1)",
  " JaVa\tScRiPt:alert(1)",
  "<!--",
  "-->",
  "<svg onload=alert(1)>",
  "]]>",
  "\u2028\u2029",
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join(""),
];

/** A string that always carries a marker, with random text (control characters too) around it. */
const hostile = fc
  .tuple(
    fc.string({ unit: "binary", maxLength: 12 }),
    fc.constantFrom(...MARKERS),
    fc.array(
      fc.oneof(
        fc.constantFrom(...MARKERS),
        fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) }),
        fc.string({ unit: "binary" }),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([head, marker, rest]) => [head, marker, ...rest].join(""));

/** The same length, whitespace in the same places (titles wrap alike), nothing to escape. */
const harmless = (s: string) => s.replace(/\S/g, "a");

interface Rendered {
  name: string;
  page: string;
}

function render(i: PageInputs): Rendered[] {
  const noKing = { ...i.state, king: null };
  return [
    { name: "dashboard", page: dashboardPage(i.state, i.subs, i.history, i.evals) },
    { name: "dashboard without king", page: dashboardPage(noKing, i.subs, i.history, i.evals) },
    { name: "eval", page: evalPage(i.evalView, i.arena) },
    { name: "eval without report", page: evalPage(i.pendingEval, i.arena) },
    { name: "error", page: errorPage(404, i.errorMessage, i.arena) },
  ];
}

/** Each tag's name and attribute names, in document order: the document's shape. */
function skeleton(page: string): string[] {
  return [...page.matchAll(/<(\/?[a-zA-Z][\w:-]*)([^>]*)>/g)].map((m) => {
    const names = [
      ...(m[2] ?? "").matchAll(/\s*([^\s"'=/>]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?/g),
    ].map((a) => a[1]);
    return [m[1], ...names].join(" ");
  });
}

/** The fields shown in full, as text or in an attribute (the rest are shortened, JSON or not shown). */
const SHOWN_IN_FULL =
  /^(arena|king\.(hotkey|image)|sub\d\.(hotkey|image|failure)|sub1\.(reason|status)|weights\.|evaluating\.|evals\.|history\.(crowned|dethroned)|eval\.(status|seed|reason|reportProblem|cand\d\.role)|report\.(arena|status)|verdict\.event|baseline\.(name|role|image|status|failure\.(stage|message))|cand-\d\.(name|role|image|reason\d)|cand-2\.failure\.message|prompt\.|token\.[rc]\d|error\.)/;
/** Tokens the divergence shows as JSON. */
const SHOWN_AS_JSON = /^token\.(reference|candidate|top\d)$/;
/** The dashboard's own pieces of markup: one script (app.js), no images, no comments. */
const FOREIGN = [/<img/i, /<svg onload/i, /<textarea/i, /<!--/, /<script>/i];

function expectInert(pages: Rendered[], shapes: Rendered[], fields: Map<string, string>): void {
  const all = pages.map((p) => p.page).join("\n");
  for (const [k, { name, page }] of pages.entries()) {
    // The same document as with harmless strings: no tag or attribute came from the data.
    expect(skeleton(page), name).toEqual(skeleton(shapes[k]?.page ?? ""));
    for (const bad of FOREIGN) expect(page, `${name}: ${bad}`).not.toMatch(bad);
    expect(page.match(/<script\b/g), name).toHaveLength(1);
    expect(page, name).not.toMatch(/\b(href|src)\s*=\s*["']?\s*[a-z]+script:/i);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none may be written raw
    expect(page, name).not.toMatch(/[\0-\x08\x0b-\x1f\x7f]/);
    // Attribute values and text hold no raw quote or bracket: everything between tags is text.
    expect(page.replace(/<[^>]*>/g, ""), name).not.toMatch(/[<>"]/);
  }
  // The hostile text is there, escaped: shown, not dropped and not double-escaped.
  for (const [field, value] of fields) {
    if (SHOWN_IN_FULL.test(field)) expect(all, field).toContain(escapeHtml(value));
    if (SHOWN_AS_JSON.test(field)) expect(all, field).toContain(escapeHtml(JSON.stringify(value)));
  }
}

/** Renders every page with `values` in the fields (in order), and with their harmless shapes. */
function check(values: readonly string[]): void {
  const fields = new Map<string, string>();
  const t: Text = (field) => {
    const v = values[fields.size % values.length] as string;
    fields.set(field, v);
    return v;
  };
  const pages = render(pageInputs(t));
  const shapes = render(pageInputs((field) => harmless(fields.get(field) ?? "")));
  expectInert(pages, shapes, fields);
}

const FIELDS = (() => {
  const seen: string[] = [];
  pageInputs((field, v) => {
    seen.push(field);
    return v;
  });
  return seen;
})();

describe("the dashboard's pages with hostile strings in every miner-controlled field", () => {
  it("has a fixture that names each field once and shows the ones it says in full", () => {
    expect(new Set(FIELDS).size).toBe(FIELDS.length);
    expect(FIELDS.filter((f) => SHOWN_IN_FULL.test(f)).length).toBeGreaterThan(50);
  });

  it("renders each marker, in every field at once, inert", () => {
    for (const m of MARKERS) check([m]);
  });

  it("renders random hostile strings inert", () => {
    fc.assert(
      fc.property(
        fc.array(hostile, { minLength: FIELDS.length, maxLength: FIELDS.length }),
        (values) => check(values),
      ),
      { numRuns: 60 },
    );
  });

  it("renders 100 KB tokens, reasons and messages inert", () => {
    const big = "<script>alert(1)</script>\"'&\0\x1b".repeat(3_500);
    expect(big.length).toBeGreaterThan(100_000);
    const long =
      /^(token\.c12$|prompt\.gate:3\.(message|teacher\.(token|verdict)2)|sub2\.failure|weights\.error|error\.)/;
    check(FIELDS.map((f) => (long.test(f) ? big : '"><img src=x onerror=alert(1)>')));
  });

  it("never links to a javascript: URL", () => {
    for (const url of ["javascript:alert(1)", " JaVa\tScRiPt:alert(1)", "data:text/html,x"]) {
      const page = evalPage(
        pageInputs((field, v) => (field === "eval.reportUrl" ? url : v)).evalView,
        "v1",
      );
      expect(page).toContain('<a href="about:invalid#unsafe-url">full EvalReport (JSON)</a>');
    }
  });

  it("renders ordinary strings as they are", () => {
    const i = pageInputs((_field, v) => v);
    const page = dashboardPage(i.state, i.subs, i.history, i.evals);
    expect(page).toContain(
      '<dd class="mono" title="5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty">5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty</dd>',
    );
    expect(page).toContain(
      "<small>commitment is not an image reference: &#39;hello &lt;world&gt;&#39;</small>",
    );
    const evalHtml = evalPage(i.evalView, i.arena);
    expect(evalHtml).toContain('<td class="tok at differs" data-token=" a"> a</td>');
    expect(evalHtml).toContain('<td class="tok" data-token="\t">\\t</td>');
    expect(evalHtml).toContain('<a href="/api/evals/2/report">full EvalReport (JSON)</a>');
  });

  it("shows the teacher's evidence after a fork, token by token, the failing token marked", () => {
    const i = pageInputs((_field, v) => v);
    const evalHtml = evalPage(i.evalView, i.arena);
    // gate:1 passed: its tokens from the fork on, each fine.
    expect(evalHtml).toContain(
      '<tr class="scored" data-position="13" data-verdict="fine"><td class="num">13</td><td class="tok" data-token=" bright"> bright</td><td class="num">-1.250</td><td class="num">1</td><td class="num">-0.200</td><td class="num">-1.251</td><td class="verdict">fine</td></tr>',
    );
    // gate:3 failed at token 14, ranked 11 by the teacher; it stopped after token 16.
    expect(evalHtml).toContain(
      '<tr class="failing" data-position="14" data-verdict="rank"><td class="num">14</td><td class="tok" data-token="\n">\\n</td><td class="num">-2.250</td><td class="num">11</td>',
    );
    expect(evalHtml.match(/<tr class="failing"/g)).toHaveLength(1);
    expect(evalHtml).toMatch(
      /from the fork at token 12 on \(the first difference judged by the teacher\): 5 tokens scored, tokens 12–16 shown, the request failed at token 14\. The candidate stopped after token 16: the teacher's end of sequence there has logprob -0\.500, rank 2, top-1 -0\.400\./,
    );
    expect(evalHtml).toContain(
      "The teacher scored 240 tokens after the forks: 0.8 % outside the tie gap of its top-1, mean NLL excess 0.0123; the stock control&#39;s 250: 1.2 %, 0.0101.",
    );
  });
});
