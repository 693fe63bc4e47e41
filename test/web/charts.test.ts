import { describe, expect, it } from "vitest";
import type { Series } from "../../src/web/charts.js";
import * as charts from "../../src/web/charts.js";
import { escapeHtml as escapeXml } from "../../src/web/html.js";

// The charts are SafeHtml; these checks read their markup.
const histogramSvg = (o: Parameters<typeof charts.histogramSvg>[0]) =>
  String(charts.histogramSvg(o));
const barSvg = (o: Parameters<typeof charts.barSvg>[0]) => String(charts.barSvg(o));
const stepSvg = (o: Parameters<typeof charts.stepSvg>[0]) => String(charts.stepSvg(o));

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

/** The attributes of every `<name …>` start tag, in document order. */
function tags(svg: string, name: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${name}\\b([^>]*?)/?>`, "g"))].map((m) =>
    Object.fromEntries([...(m[1] ?? "").matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  );
}

/** The text content of every `<text>` element. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? "");
}

/** Every element is closed in order and there is exactly one root `<svg>`. */
function expectWellFormed(svg: string, kind: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) expect(stack.pop()).toBe(name);
    else stack.push(name as string);
  }
  expect(stack).toEqual([]);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.endsWith("</svg>")).toBe(true);
  expect(svg.match(/<svg\b/g)).toHaveLength(1);
  const root = tags(svg, "svg")[0] ?? {};
  expect(root.class).toBe(`chart ${kind}`);
  expect(root.width).toBe("100%");
  expect(root.role).toBe("img");
  expect(root.viewBox).toMatch(/^0 0 \d+(\.\d)? \d+(\.\d)?$/);
  expect(root.preserveAspectRatio).toBeUndefined();
  // aria-labelledby names the <title>, which is the root's first child.
  const titleId = root["aria-labelledby"];
  expect(svg).toMatch(new RegExp(`^<svg [^>]*><title id="${titleId}">`));
  // No raw markup characters outside tags: text is escaped.
  expect(svg.replace(/<[^>]*>/g, "")).not.toMatch(/[<>"]/);
}

const ids = (svg: string) => [...svg.matchAll(/\bid="([^"]*)"/g)].map((m) => m[1]);

/** Consecutive ticks differ by 1, 2 or 5 × 10^k. */
function expectNiceSteps(values: number[]): void {
  expect(values.length).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < values.length; i++) {
    const step = (values[i] as number) - (values[i - 1] as number);
    const mantissa = step / 10 ** Math.floor(Math.log10(step));
    expect([1, 2, 5].some((f) => Math.abs(mantissa - f) < 1e-9)).toBe(true);
  }
}

const tickLabels = (svg: string) =>
  [...svg.matchAll(/<text class="tick-label" x="([^"]*)" y="([^"]*)"[^>]*>([^<]*)<\/text>/g)].map(
    (m) => ({ x: Number(m[1]), y: Number(m[2]), text: m[3] ?? "" }),
  );

describe("histogramSvg", () => {
  const oneToTen = Array.from({ length: 10 }, (_, i) => i + 1);

  it("bins 1..10 into 5 bins of 2, from the min to the max", () => {
    const svg = histogramSvg({
      title: "TTFT",
      unit: "ms",
      bins: 5,
      series: [{ name: "baseline", values: oneToTen, className: "baseline" }],
    });
    expectWellFormed(svg, "chart-histogram");
    const rects = tags(svg, "rect");
    expect(rects.map((r) => r["data-value"])).toEqual(["2", "2", "2", "2", "2"]);
    expect(rects.every((r) => r["data-series"] === "baseline")).toBe(true);
    expect(rects.every((r) => r.class === "bin baseline")).toBe(true);
    const edges = [1, 2.8, 4.6, 6.4, 8.2, 10];
    for (const [i, r] of rects.entries()) {
      expect(Number(r["data-from"])).toBeCloseTo(edges[i] as number, 12);
      expect(Number(r["data-to"])).toBeCloseTo(edges[i + 1] as number, 12);
    }
    expect(rects[0]?.["data-from"]).toBe("1");
    expect(rects[4]?.["data-to"]).toBe("10");
    // Bins tile the range: each ends exactly where the next starts.
    for (let i = 1; i < 5; i++) expect(rects[i]?.["data-from"]).toBe(rects[i - 1]?.["data-to"]);
    // Equal counts, equal heights, left to right.
    expect(new Set(rects.map((r) => r.height)).size).toBe(1);
    const xs = rects.map((r) => Number(r.x));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it("uses 12 bins by default", () => {
    const svg = histogramSvg({
      title: "t",
      unit: "ms",
      series: [{ name: "b", values: oneToTen, className: "baseline" }],
    });
    expect(tags(svg, "rect")).toHaveLength(12);
  });

  it("puts several series on the same edges, counts summing to each series' finite values", () => {
    const series: Series[] = [
      { name: "baseline", values: [10, 12, 15, 20, 22, 30, 41, 50], className: "baseline" },
      {
        name: "cand",
        values: [5, 9, Number.NaN, 18, 60, Number.POSITIVE_INFINITY],
        className: "candidate",
      },
      { name: "other", values: [25, 25, 25, Number.NEGATIVE_INFINITY], className: "candidate" },
    ];
    const svg = histogramSvg({ title: "TTFT of cand", unit: "ms", bins: 4, series });
    expectWellFormed(svg, "chart-histogram");
    const rects = tags(svg, "rect");
    expect(rects).toHaveLength(4 * 3);
    expect(svg.match(/<rect\b/g)).toHaveLength(svg.match(/<\/rect>/g)?.length ?? -1);
    const bySeries = (name: string) => rects.filter((r) => r["data-series"] === name);
    const edges = (rs: Record<string, string>[]) => rs.map((r) => [r["data-from"], r["data-to"]]);
    expect(edges(bySeries("cand"))).toEqual(edges(bySeries("baseline")));
    expect(edges(bySeries("other"))).toEqual(edges(bySeries("baseline")));
    // The range runs over all series: min 5 (cand), max 60 (cand); infinities are ignored.
    expect(edges(bySeries("baseline"))).toEqual([
      ["5", "18.75"],
      ["18.75", "32.5"],
      ["32.5", "46.25"],
      ["46.25", "60"],
    ]);
    const counts = (name: string) => bySeries(name).map((r) => Number(r["data-value"]));
    expect(counts("baseline")).toEqual([3, 3, 1, 1]);
    expect(counts("cand")).toEqual([3, 0, 0, 1]);
    expect(counts("other")).toEqual([0, 3, 0, 0]);
    // A legend entry per series, coloured by its class.
    expect(tags(svg, "circle").map((c) => c.class)).toEqual([
      "swatch baseline",
      "swatch candidate",
      "swatch candidate",
    ]);
    expect(texts(svg)).toEqual(expect.arrayContaining(["baseline", "cand", "other"]));
  });

  it("counts a value on an inner edge in the bin it starts", () => {
    const svg = histogramSvg({
      title: "t",
      unit: "ms",
      bins: 3,
      series: [{ name: "s", values: [0, 0.1, 0.2, 0.3], className: "baseline" }],
    });
    const rects = tags(svg, "rect");
    for (const r of rects) {
      const [lo, hi] = [Number(r["data-from"]), Number(r["data-to"])];
      const inside = [0, 0.1, 0.2, 0.3].filter((v) => lo <= v && (v < hi || hi === 0.3));
      expect(Number(r["data-value"])).toBe(inside.length);
    }
    expect(rects.reduce((n, r) => n + Number(r["data-value"]), 0)).toBe(4);
  });

  it("puts equal values in one bin of width 1 around them", () => {
    const svg = histogramSvg({
      title: "flat",
      unit: "ms",
      series: [
        { name: "a", values: [5, 5, 5], className: "baseline" },
        { name: "b", values: [5], className: "candidate" },
      ],
    });
    expectWellFormed(svg, "chart-histogram");
    const rects = tags(svg, "rect");
    expect(
      rects.map((r) => [r["data-series"], r["data-value"], r["data-from"], r["data-to"]]),
    ).toEqual([
      ["a", "3", "4.5", "5.5"],
      ["b", "1", "4.5", "5.5"],
    ]);
    expect(Number(rects[0]?.width)).toBeGreaterThan(0);
  });

  it("says no data for no series, empty series or only non-finite values", () => {
    for (const series of [
      [],
      [{ name: "a", values: [], className: "baseline" }],
      [{ name: "a", values: [Number.NaN, Number.POSITIVE_INFINITY], className: "baseline" }],
    ]) {
      const svg = histogramSvg({ title: "TTFT", unit: "ms", series });
      expectWellFormed(svg, "chart-histogram");
      expect(texts(svg)).toContain("no data");
      expect(tags(svg, "rect")).toHaveLength(0);
    }
  });

  it("refuses a bin count that is not a positive integer", () => {
    const series = [{ name: "a", values: [1, 2], className: "baseline" }];
    for (const bins of [0, -1, 2.5, Number.NaN]) {
      expect(() => histogramSvg({ title: "t", unit: "ms", series, bins })).toThrow(RangeError);
    }
  });

  it("labels the value axis with the unit and the count axis with round ticks", () => {
    const values = Array.from({ length: 200 }, (_, i) => 100 + ((i * 37) % 900));
    const svg = histogramSvg({
      title: "t",
      unit: "ms",
      series: [{ name: "a", values, className: "baseline" }],
    });
    expect(texts(svg)).toEqual(expect.arrayContaining(["ms", "count"]));
    const labels = tickLabels(svg);
    // x ticks sit under the plot in a row, y ticks at the left in a column.
    const bottomY = Math.max(...labels.map((l) => l.y));
    const xTicks = labels.filter((l) => l.y === bottomY).map((l) => Number(l.text));
    const yTicks = labels.filter((l) => l.y !== bottomY).map((l) => Number(l.text));
    expectNiceSteps(xTicks);
    expectNiceSteps(yTicks.sort((a, b) => a - b));
    expect(yTicks[0]).toBe(0);
    expect(yTicks.every(Number.isInteger)).toBe(true);
    const top = Math.max(...tags(svg, "rect").map((r) => Number(r["data-value"])));
    expect(yTicks[yTicks.length - 1]).toBeGreaterThanOrEqual(top);
  });
});

describe("barSvg", () => {
  const bars = [
    { label: "baseline", value: 1234.6, className: "baseline", points: [1200, 1250.25] },
    { label: "cand-1", value: 987.25, className: "candidate" },
    { label: "cand-2", value: 12.345, className: "candidate", points: [12, Number.NaN] },
  ];

  it("draws a bar per entry with its exact value, series and class", () => {
    const svg = barSvg({ title: "Throughput", unit: "tok/s", bars });
    expectWellFormed(svg, "chart-bar");
    const rects = tags(svg, "rect");
    expect(rects.map((r) => [r["data-series"], r["data-value"], r.class])).toEqual([
      ["baseline", "1234.6", "bar baseline"],
      ["cand-1", "987.25", "bar candidate"],
      ["cand-2", "12.345", "bar candidate"],
    ]);
    // Lengths in proportion to the values, from a common origin.
    expect(new Set(rects.map((r) => r.x)).size).toBe(1);
    const w = rects.map((r) => Number(r.width));
    expect((w[1] as number) / (w[0] as number)).toBeCloseTo(987.25 / 1234.6, 2);
  });

  it("prints each value at the end of its bar, rounded, and the unit on the axis", () => {
    const svg = barSvg({ title: "Throughput", unit: "tok/s", bars });
    const values = [...svg.matchAll(/<text class="bar-value" x="([^"]*)"[^>]*>([^<]*)</g)];
    expect(values.map((m) => m[2])).toEqual(["1235", "987", "12.3"]);
    const rects = tags(svg, "rect");
    values.forEach((m, i) => {
      const r = rects[i] ?? {};
      expect(Number(m[1])).toBeGreaterThan(Number(r.x) + Number(r.width));
    });
    expect(texts(svg)).toEqual(expect.arrayContaining(["baseline", "cand-1", "cand-2", "tok/s"]));
    const ticks = tickLabels(svg).map((l) => Number(l.text));
    expect(ticks).toEqual([0, 500, 1000, 1500]);
  });

  it("draws the finite points as dots over their bar", () => {
    const svg = barSvg({ title: "Throughput", unit: "tok/s", bars });
    const dots = tags(svg, "circle");
    expect(dots.map((d) => [d["data-series"], d["data-value"]])).toEqual([
      ["baseline", "1200"],
      ["baseline", "1250.25"],
      ["cand-2", "12"],
    ]);
    const rects = tags(svg, "rect");
    const [bar, dot] = [rects[0] ?? {}, dots[0] ?? {}];
    expect(Number(dot.cy)).toBeGreaterThan(Number(bar.y));
    expect(Number(dot.cy)).toBeLessThan(Number(bar.y) + Number(bar.height));
    // The value label clears the dot past the bar's end.
    const label = svg.match(/<text class="bar-value" x="([^"]*)"/)?.[1];
    expect(Number(label)).toBeGreaterThan(Number(dots[1]?.cx) + Number(dots[1]?.r));
  });

  it("says no data without bars", () => {
    const svg = barSvg({ title: "Throughput", unit: "tok/s", bars: [] });
    expectWellFormed(svg, "chart-bar");
    expect(texts(svg)).toContain("no data");
    expect(tags(svg, "rect")).toHaveLength(0);
  });
});

describe("stepSvg", () => {
  const points = [
    { atMs: T0 + 2 * DAY, value: 0.85, label: "crowned s3", className: "king" },
    { atMs: T0, value: 0.8, label: "crowned s1", className: "king" },
    { atMs: T0 + DAY + 3_600_000, value: 0, label: "dethroned s1", className: "dethroned" },
  ];
  const endMs = T0 + 4 * DAY;

  it("draws a marker per point in time order with its exact time and value", () => {
    const svg = stepSvg({ title: "King's score", unit: "score", points, endMs });
    expectWellFormed(svg, "chart-step");
    const markers = tags(svg, "circle");
    expect(markers.map((m) => [m["data-at"], m["data-value"], m.class])).toEqual([
      [String(T0), "0.8", "marker king"],
      [String(T0 + DAY + 3_600_000), "0", "marker dethroned"],
      [String(T0 + 2 * DAY), "0.85", "marker king"],
    ]);
    const cx = markers.map((m) => Number(m.cx));
    expect(cx).toEqual([...cx].sort((a, b) => a - b));
    // Higher values sit higher (smaller y).
    const cy = markers.map((m) => Number(m.cy));
    expect(cy[2]).toBeLessThan(cy[0] as number);
    expect(cy[0]).toBeLessThan(cy[1] as number);
    // Each marker has a tooltip with its label, value and UTC time.
    expect(svg).toContain("<title>dethroned s1: 0 score, 2024-01-02 01:00 UTC</title>");
  });

  it("steps through every marker and extends the last step to endMs", () => {
    const svg = stepSvg({ title: "King's score", unit: "score", points, endMs });
    const d = tags(svg, "path")[0]?.d ?? "";
    const markers = tags(svg, "circle");
    const m = d.match(/^M([\d.]+) ([\d.]+)((?:H[\d.]+V[\d.]+)*)H([\d.]+)$/);
    expect(m).not.toBeNull();
    expect([m?.[1], m?.[2]]).toEqual([markers[0]?.cx, markers[0]?.cy]);
    const steps = [...(m?.[3] ?? "").matchAll(/H([\d.]+)V([\d.]+)/g)].map((s) => [s[1], s[2]]);
    expect(steps).toEqual(markers.slice(1).map((k) => [k.cx, k.cy]));
    // endMs is the right end of the time axis: the line ends at the last tick, 2024-01-05.
    const labels = tickLabels(svg);
    const last = labels[labels.length - 1];
    expect(last?.text).toBe("2024-01-05");
    expect(Number(m?.[4])).toBe(last?.x);
    expect(Number(m?.[4])).toBeGreaterThan(Number(markers[2]?.cx));
  });

  it("labels the time axis with UTC dates, or times for a short span", () => {
    const days = stepSvg({ title: "t", unit: "score", points, endMs });
    const dayTicks = tickLabels(days).filter((l) => /^\d{4}-/.test(l.text));
    expect(dayTicks.map((l) => l.text)).toEqual([
      "2024-01-01",
      "2024-01-02",
      "2024-01-03",
      "2024-01-04",
      "2024-01-05",
    ]);
    expect(texts(days)).toEqual(expect.arrayContaining(["time (UTC)", "score"]));
    const hours = stepSvg({
      title: "t",
      unit: "score",
      points: [{ atMs: T0 + 3_600_000, value: 1, label: "a", className: "king" }],
      endMs: T0 + 5 * 3_600_000,
    });
    expect(tickLabels(hours).map((l) => l.text)).toEqual(
      expect.arrayContaining(["01-01 01:00", "01-01 02:00", "01-01 05:00"]),
    );
  });

  it("fits the value axis to the data with round ticks", () => {
    const svg = stepSvg({
      title: "t",
      unit: "score",
      points: [
        { atMs: T0, value: 0.8123, label: "a", className: "king" },
        { atMs: T0 + DAY, value: 0.8561, label: "b", className: "king" },
      ],
      endMs: T0 + 2 * DAY,
    });
    const yTicks = tickLabels(svg)
      .filter((l) => !l.text.includes(":")) // the time axis ticks every 12 h
      .map((l) => Number(l.text));
    expectNiceSteps(yTicks);
    expect(yTicks[0]).toBeLessThanOrEqual(0.8123);
    expect(yTicks[0]).toBeGreaterThan(0.7);
    expect(yTicks[yTicks.length - 1]).toBeGreaterThanOrEqual(0.8561);
  });

  it("ends at the last point when endMs is earlier, and handles a single point", () => {
    const svg = stepSvg({ title: "t", unit: "score", points, endMs: T0 });
    const d = tags(svg, "path")[0]?.d ?? "";
    const lastCx = tags(svg, "circle")[2]?.cx;
    expect(d.endsWith(`V${tags(svg, "circle")[2]?.cy}H${lastCx}`)).toBe(true);

    const one = stepSvg({
      title: "t",
      unit: "score",
      points: [{ atMs: T0, value: 0.9, label: "a", className: "king" }],
      endMs: T0,
    });
    expectWellFormed(one, "chart-step");
    expect(tags(one, "circle").map((c) => c["data-value"])).toEqual(["0.9"]);
    expect(one).not.toContain("NaN");
  });

  it("says no data without finite points", () => {
    for (const pts of [[], [{ atMs: Number.NaN, value: 1, label: "a", className: "king" }]]) {
      const svg = stepSvg({ title: "King", unit: "score", points: pts, endMs });
      expectWellFormed(svg, "chart-step");
      expect(texts(svg)).toContain("no data");
      expect(tags(svg, "circle")).toHaveLength(0);
    }
  });
});

describe("escaping", () => {
  it("escapes & < > \" '", () => {
    expect(escapeXml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;",
    );
    expect(escapeXml("plain")).toBe("plain");
  });

  it("escapes titles, names, labels and classes in every chart", () => {
    const evil = `<script>alert("x")</script> & 'q'`;
    const charts = [
      histogramSvg({
        title: evil,
        unit: evil,
        series: [{ name: evil, values: [1, 2], className: `a" onclick="x` }],
      }),
      barSvg({
        title: evil,
        unit: evil,
        bars: [{ label: evil, value: 1, className: "b", points: [1] }],
      }),
      stepSvg({
        title: evil,
        unit: evil,
        points: [{ atMs: T0, value: 1, label: evil, className: `c'><script>` }],
        endMs: T0 + DAY,
      }),
    ];
    for (const [i, svg] of charts.entries()) {
      expectWellFormed(svg, ["chart-histogram", "chart-bar", "chart-step"][i] as string);
      expect(svg).not.toContain("<script");
      expect(svg).not.toContain(`"x`);
      // The quote in the class is escaped, so no tag gains an attribute.
      for (const name of ["rect", "circle"]) {
        for (const t of tags(svg, name)) expect(Object.keys(t)).not.toContain("onclick");
      }
      expect(svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
    }
    // Attributes hold the escaped strings, which a browser decodes back to the caller's.
    const rect = tags(charts[0] as string, "rect")[0];
    expect(rect?.["data-series"]).toBe(escapeXml(evil));
    expect(rect?.class).toBe("bin a&quot; onclick=&quot;x");
  });
});

describe("ids", () => {
  const make = (title: string) => [
    histogramSvg({
      title,
      unit: "ms",
      series: [{ name: "a", values: [1, 2, 3], className: "baseline" }],
    }),
    barSvg({ title, unit: "tok/s", bars: [{ label: "a", value: 3, className: "baseline" }] }),
    stepSvg({
      title,
      unit: "score",
      points: [{ atMs: T0, value: 1, label: "a", className: "king" }],
      endMs: T0 + DAY,
    }),
  ];

  it("renders the same input to the same string", () => {
    expect(make("TTFT")).toEqual(make("TTFT"));
  });

  it("gives every chart on a page distinct ids, whatever their kind or title", () => {
    const page = [...make("TTFT"), ...make("Throughput"), ...make("TTFT of cand-2")].join("");
    const all = ids(page);
    expect(all).toHaveLength(9);
    expect(new Set(all).size).toBe(9);
    for (const id of all) expect(id).toMatch(/^chart-(histogram|bar|step)-[0-9a-f]{8}-title$/);
  });
});
