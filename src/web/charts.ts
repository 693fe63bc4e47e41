// Charts for the server-rendered dashboard, as inline SVG strings: pure functions from numbers to
// markup that reads without JavaScript and scales to the page width (phones included). Colours come
// from the page stylesheet through CSS classes; data-* attributes carry the exact numbers so a
// browser test can check what is drawn. Markup is built with element() (src/web/html.ts): names,
// labels and titles are text there, escaped by construction.

import { type AttrValue, element, type HtmlValue, type SafeHtml } from "./html.js";

export interface Series {
  name: string;
  values: readonly number[];
  /** CSS class for colour, e.g. "baseline" | "candidate" */
  className: string;
}

export interface Bar {
  label: string;
  value: number;
  className: string;
  /** optional small dots drawn over the bar, e.g. each trial's value */
  points?: readonly number[];
}

export interface StepPoint {
  atMs: number;
  value: number;
  label: string;
  className: string;
}

// viewBox width: the dashboard lays charts out at 20rem and up, so a narrow box keeps text legible.
const W = 400;
const LINE = 16;
// Fallback colours, as presentation attributes: any stylesheet rule (.baseline, .candidate, …)
// overrides them, and a page without the stylesheet still tells overlaid series apart.
const PALETTE = ["#8a94a3", "#e07a1f", "#2b59c3", "#1c7c3c", "#b03a48"];
const GRID = "#d0d4da";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  ...[1, 2, 5, 10, 15, 30].map((m) => m * MINUTE),
  ...[1, 2, 3, 6, 12].map((h) => h * HOUR),
  ...[1, 2, 7, 14, 30, 60, 90, 180, 365].map((d) => d * DAY),
];

/**
 * Overlaid histograms of several series over shared bins (e.g. TTFT ms of the baseline vs a
 * candidate). Non-finite values are left out; the bins run from the min to the max of all series.
 */
export function histogramSvg(o: {
  title: string;
  unit: string;
  series: readonly Series[];
  bins?: number;
}): SafeHtml {
  const kind = "chart-histogram";
  const bins = o.bins ?? 12;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError("bins must be a positive integer");
  const series = o.series.map((s) => ({ ...s, values: s.values.filter(Number.isFinite) }));
  const all = series.flatMap((s) => s.values);
  if (all.length === 0) return noData(kind, o.title);
  const b = binning(
    all.reduce((x, y) => Math.min(x, y)),
    all.reduce((x, y) => Math.max(x, y)),
    bins,
  );
  const counts = series.map((s) => {
    const c = new Array<number>(b.n).fill(0);
    for (const v of s.values) {
      const i = binOf(b, v);
      c[i] = (c[i] ?? 0) + 1;
    }
    return c;
  });

  const head = heading(o.title);
  const leg = legend(series, 48, head.bottom + 12);
  // The side margins leave room for half a tick label centred on either end of the axis.
  const [left, right, top] = [48, W - 20, leg.bottom + 8];
  const bottom = top + 180;
  const lo = b.edge(0);
  const hi = b.edge(b.n);
  const sx = scale(lo, hi, left, right);
  const ay = niceAxis(0, Math.max(...counts.flat()), 1);
  const sy = scale(ay.lo, ay.hi, bottom, top);
  const rects = series.flatMap((s, k) =>
    (counts[k] ?? []).map((c, i) => {
      const [from, to] = [b.edge(i), b.edge(i + 1)];
      const tip = `${s.name}: ${c} in ${fmt(from)}–${fmt(to)} ${o.unit}`;
      return el(
        "rect",
        {
          class: `bin ${s.className}`,
          x: sx(from),
          y: sy(c),
          // A hairline gap between bins keeps neighbouring bars apart.
          width: Math.max(0, sx(to) - sx(from) - 1),
          height: sy(0) - sy(c),
          fill: color(k),
          "fill-opacity": 0.6,
          "data-series": s.name,
          "data-value": String(c),
          "data-from": String(from),
          "data-to": String(to),
        },
        el("title", {}, tip),
      );
    }),
  );
  const body = [
    head.svg,
    leg.svg,
    gridY(ay.ticks, sy, left, right),
    gridX(ticks(lo, hi), sx, top, bottom, String, false),
    axisTitleX(o.unit, (left + right) / 2, bottom + 32),
    axisTitleY("count", 10, (top + bottom) / 2),
    ...rects,
  ];
  return svg(kind, o.title, bottom + 40, body);
}

/**
 * Horizontal bars (e.g. tokens/s of the baseline and each candidate), value printed at the end of
 * each bar.
 */
export function barSvg(o: { title: string; unit: string; bars: readonly Bar[] }): SafeHtml {
  const kind = "chart-bar";
  if (o.bars.length === 0) return noData(kind, o.title);
  const finite = o.bars.flatMap((b) => [b.value, ...(b.points ?? [])]).filter(Number.isFinite);
  // Bars grow from 0, so 0 is always on the axis.
  const ax = niceAxis(Math.min(0, ...finite), Math.max(0, ...finite));
  const head = heading(o.title);
  // The right margin leaves room for the value printed past the longest bar.
  const [left, right, top] = [12, W - 56, head.bottom + 8];
  const ROW = 40;
  const bottom = top + o.bars.length * ROW;
  const sx = scale(ax.lo, ax.hi, left, right);
  const rows = o.bars.map((b, i) => {
    // Each label sits on its own line above its bar, so long names need no left margin.
    const y = top + i * ROW;
    const v = Number.isFinite(b.value) ? b.value : 0;
    const [x0, x1] = [Math.min(sx(0), sx(v)), Math.max(sx(0), sx(v))];
    const tip = `${b.label}: ${fmt(b.value)} ${o.unit}`;
    const points = (b.points ?? []).filter(Number.isFinite);
    const dots = points.map((p) =>
      el(
        "circle",
        {
          class: "point",
          cx: sx(p),
          cy: y + 25,
          r: 3,
          fill: "#222",
          stroke: "#fff",
          "data-series": b.label,
          "data-value": String(p),
        },
        el("title", {}, `${b.label}: ${fmt(p)} ${o.unit}`),
      ),
    );
    // The value goes past whatever ends furthest right, the bar or a dot, so neither covers it.
    const xText = Math.max(x1, ...points.map((p) => sx(p) + 3)) + 4;
    return [
      el("text", { class: "bar-label", x: left, y: y + 12 }, b.label),
      el(
        "rect",
        {
          class: `bar ${b.className}`,
          x: x0,
          y: y + 16,
          width: x1 - x0,
          height: 18,
          fill: color(0),
          "data-series": b.label,
          "data-value": String(b.value),
        },
        el("title", {}, tip),
      ),
      el("text", { class: "bar-value", x: xText, y: y + 29 }, fmt(b.value)),
      ...dots,
    ];
  });
  const body = [
    head.svg,
    gridX(ax.ticks, sx, top, bottom, String, true),
    axisTitleX(o.unit, (left + right) / 2, bottom + 32),
    ...rows,
  ];
  return svg(kind, o.title, bottom + 40, body);
}

/**
 * A step line of a value over time (e.g. the king's score at each king-history event), a marker
 * with a <title> tooltip at each point, time axis labelled with UTC dates/times. `endMs` extends
 * the last step to "now" (an `endMs` before the last point is ignored).
 */
export function stepSvg(o: {
  title: string;
  unit: string;
  points: readonly StepPoint[];
  endMs: number;
}): SafeHtml {
  const kind = "chart-step";
  const pts = o.points
    .filter((p) => Number.isFinite(p.atMs) && Number.isFinite(p.value))
    .sort((a, b) => a.atMs - b.atMs);
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last) return noData(kind, o.title);
  const tEnd = Math.max(last.atMs, o.endMs);
  // The axis spans at least the hour before its end, so it always has a time tick to read (a king
  // crowned seconds ago, or a single instant, sits near the right edge).
  const t0 = Math.min(first.atMs, tEnd - HOUR);
  const vs = pts.map((p) => p.value);
  const [vLo, vHi] = [Math.min(...vs), Math.max(...vs)];
  // Scores sit in a narrow band far from 0: the value axis fits the data, not 0, and a flat line
  // gets some room around it.
  const pad = vHi > vLo ? 0 : Math.abs(vLo) / 10 || 1;
  const ay = niceAxis(vLo - pad, vHi + pad);

  const head = heading(o.title);
  // The side margins leave room for half a date label centred on either end of the time axis.
  const [left, right, top] = [52, W - 32, head.bottom + 8];
  const bottom = top + 160;
  const sx = scale(t0, tEnd, left, right);
  const sy = scale(ay.lo, ay.hi, bottom, top);
  const tt = timeTicks(t0, tEnd);
  let d = `M${num(sx(first.atMs))} ${num(sy(first.value))}`;
  for (const p of pts.slice(1)) d += `H${num(sx(p.atMs))}V${num(sy(p.value))}`;
  d += `H${num(sx(tEnd))}`;
  const markers = pts.map((p) =>
    el(
      "circle",
      {
        class: `marker ${p.className}`,
        cx: sx(p.atMs),
        cy: sy(p.value),
        r: 4,
        fill: color(2),
        "data-at": String(p.atMs),
        "data-value": String(p.value),
      },
      el("title", {}, `${p.label}: ${fmt(p.value)} ${o.unit}, ${utc(p.atMs)}`),
    ),
  );
  const body = [
    head.svg,
    gridY(ay.ticks, sy, left, right),
    gridX(tt.ticks, sx, top, bottom, tt.label, true),
    axisTitleX("time (UTC)", (left + right) / 2, bottom + 32),
    axisTitleY(o.unit, 10, (top + bottom) / 2),
    el("path", { class: "step-line", d, fill: "none", stroke: "#555", "stroke-width": 1.5 }),
    ...markers,
  ];
  return svg(kind, o.title, bottom + 40, body);
}

// ---- binning -------------------------------------------------------------------------------

interface Binning {
  n: number;
  /** Edge i of n + 1; edge(0) is the min and edge(n) exactly the max. */
  edge: (i: number) => number;
}

function binning(lo: number, hi: number, n: number): Binning {
  // All values equal: one bin of width 1 centred on them.
  if (lo === hi) return { n: 1, edge: (i) => lo - 0.5 + i };
  return { n, edge: (i) => (i === n ? hi : lo + ((hi - lo) * i) / n) };
}

/** The bin holding v: edge(i) ≤ v < edge(i + 1), the last bin closed at the max. */
function binOf(b: Binning, v: number): number {
  const span = b.edge(b.n) - b.edge(0);
  let i = Math.min(b.n - 1, Math.floor(((v - b.edge(0)) / span) * b.n));
  // The estimate can be one off at an edge through rounding; the edges drawn are the truth.
  while (i > 0 && v < b.edge(i)) i--;
  while (i < b.n - 1 && v >= b.edge(i + 1)) i++;
  return i;
}

// ---- axes ----------------------------------------------------------------------------------

/** A round step (1, 2 or 5 × 10^k) that cuts span into about `target` parts. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** The multiples of a nice step within [lo, hi]. */
function ticks(lo: number, hi: number, step = niceStep(hi - lo, 5)): number[] {
  const out: number[] = [];
  // The epsilon keeps an end that is a multiple of the step despite rounding in the division.
  for (let k = Math.ceil(lo / step - 1e-9); k <= Math.floor(hi / step + 1e-9); k++) {
    out.push(Number((k * step).toPrecision(12))); // 3 × 0.1 prints as 0.3
  }
  return out;
}

/** [lo, hi] widened to multiples of a nice step (at least minStep: counts tick at integers). */
function niceAxis(lo: number, hi: number, minStep = 0) {
  const span = hi > lo ? hi - lo : 1;
  const step = Math.max(minStep, niceStep(span, 4));
  // The epsilon keeps a bound that is already a multiple (0.3 / 0.1 = 2.9999999999999996) in place.
  const [a, b] = [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
  const end = b > a ? b : a + step;
  return { lo: a, hi: end, ticks: ticks(a, end, step) };
}

function timeTicks(t0: number, t1: number) {
  const step = TIME_STEPS.find((s) => (t1 - t0) / s <= 5) ?? niceStep((t1 - t0) / DAY, 5) * DAY;
  // Steps of whole days are multiples of a day since the epoch, so they fall on UTC midnights.
  const label = (t: number) => (step >= DAY ? utc(t).slice(0, 10) : utc(t).slice(5, 16));
  return { ticks: ticks(t0, t1, step), label };
}

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

function gridX(
  ts: readonly number[],
  sx: (v: number) => number,
  top: number,
  bottom: number,
  label: (t: number) => string,
  lines: boolean,
): HtmlValue {
  return ts.map((t) => [
    lines
      ? el("line", { class: "grid", x1: sx(t), x2: sx(t), y1: top, y2: bottom, stroke: GRID })
      : null,
    el("line", { class: "tick", x1: sx(t), x2: sx(t), y1: bottom, y2: bottom + 4, stroke: "#888" }),
    el(
      "text",
      { class: "tick-label", x: sx(t), y: bottom + 16, "text-anchor": "middle" },
      label(t),
    ),
  ]);
}

function gridY(
  ts: readonly number[],
  sy: (v: number) => number,
  left: number,
  right: number,
): HtmlValue {
  return ts.map((t) => [
    el("line", { class: "grid", x1: left, x2: right, y1: sy(t), y2: sy(t), stroke: GRID }),
    el("text", { class: "tick-label", x: left - 4, y: sy(t) + 4, "text-anchor": "end" }, String(t)),
  ]);
}

function axisTitleX(text: string, x: number, y: number): SafeHtml {
  return el("text", { class: "axis-title", x, y, "text-anchor": "middle" }, text);
}

function axisTitleY(text: string, x: number, y: number): SafeHtml {
  return el(
    "text",
    { class: "axis-title", transform: `rotate(-90 ${x} ${y})`, x, y, "text-anchor": "middle" },
    text,
  );
}

// ---- markup --------------------------------------------------------------------------------

/**
 * An element. Number attributes are geometry, written to 0.1 of a unit; string attributes (data-*
 * among them, already String(n) of the exact value) are text, escaped. `body`: strings in it are
 * text, escaped; elements are markup.
 */
function el(name: string, attrs: Record<string, string | number>, body?: HtmlValue): SafeHtml {
  const a: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(attrs)) a[k] = typeof v === "number" ? num(v) : v;
  return element(name, a, body);
}

function svg(kind: string, title: string, height: number, body: HtmlValue): SafeHtml {
  // Ids must be unique across the charts of a page and stable between renders: a hash of the kind
  // and title (two charts of one kind on a page have different titles), never a counter.
  const id = `${kind}-${fnv1a(`${kind}\n${title}`)}-title`;
  return el(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      class: `chart ${kind}`,
      viewBox: `0 0 ${W} ${num(height)}`,
      width: "100%",
      role: "img",
      "aria-labelledby": id,
      "font-family": "sans-serif",
      "font-size": 11,
    },
    [el("title", { id }, title), body],
  );
}

function noData(kind: string, title: string): SafeHtml {
  const head = heading(title);
  const y = head.bottom + 32;
  const msg = el("text", { class: "no-data", x: W / 2, y, "text-anchor": "middle" }, "no data");
  return svg(kind, title, y + 24, [head.svg, msg]);
}

/** The visible title, wrapped at word boundaries to the chart's width. */
function heading(title: string): { svg: HtmlValue; bottom: number } {
  const maxChars = Math.floor((W - 16) / 8); // about 8 units per bold character at 13 px
  const lines: string[] = [];
  for (const word of title.split(/\s+/).filter(Boolean)) {
    const prev = lines[lines.length - 1];
    if (prev !== undefined && prev.length + 1 + word.length <= maxChars) {
      lines[lines.length - 1] = `${prev} ${word}`;
    } else lines.push(word);
  }
  const svg = lines.map((l, i) =>
    el(
      "text",
      { class: "chart-title", x: 8, y: 18 + i * LINE, "font-size": 13, "font-weight": "bold" },
      l,
    ),
  );
  return { svg, bottom: 18 + (lines.length - 1) * LINE };
}

/** One entry per series, flowing left to right and wrapping at the chart's width. */
function legend(
  series: readonly Series[],
  x0: number,
  y0: number,
): { svg: HtmlValue; bottom: number } {
  let [x, y] = [x0, y0];
  const parts = series.map((s, i) => {
    const w = 24 + s.name.length * 6.5;
    if (x > x0 && x + w > W) [x, y] = [x0, y + LINE];
    const part = [
      el("circle", { class: `swatch ${s.className}`, cx: x + 5, cy: y - 4, r: 5, fill: color(i) }),
      el("text", { class: "legend", x: x + 14, y }, s.name),
    ];
    x += w;
    return part;
  });
  return { svg: parts, bottom: y };
}

function color(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

/** A visible number: 3 significant digits, whole numbers from 100 up (tok/s, ms). */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  return Math.abs(x) >= 100 ? String(Math.round(x)) : String(Number(x.toPrecision(3)));
}

function num(x: number): string {
  return String(Math.round(x * 10) / 10);
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** 32-bit FNV-1a of the UTF-16 code units, as 8 hex digits. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
