// The dashboard's pages, rendered on the server from the same views the API serves: everything,
// charts included (inline SVG), reads without JavaScript; the small script only sorts tables.

import type { HistoryEntryView, StateView, SubmissionView } from "./api.js";
import { barSvg, escapeXml as e, histogramSvg, stepSvg } from "./charts.js";
import type { CandidateView, EvalView, PromptVerdictView, ServerView } from "./eval-view.js";

const DAY_MS = 86_400_000;

const when = (iso: string) => `${iso.slice(0, 19).replace("T", " ")} UTC`;
const score = (x: number) => x.toFixed(4);
const ms = (x: number | null) => (x === null ? "–" : x.toFixed(1));
const tps = (x: number | null) => (x === null ? "–" : x.toFixed(0));
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const shortKey = (k: string) => (k.length > 14 ? `${k.slice(0, 6)}…${k.slice(-4)}` : k);
const shortImage = (i: string | null) => (i ?? "–").replace(/@sha256:(.{12}).*/, "@sha256:$1…");

/** "3 d 4 h", "5 h 12 min", "40 s" */
export function duration(msLeft: number): string {
  const s = Math.max(0, Math.round(msLeft / 1000));
  if (s >= 86_400) return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${s} s`;
}

function page(title: string, arena: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · Cacheon</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header><a class="brand" href="/">Cacheon <span>SN14</span></a><span class="arena">arena ${e(arena)}</span>
<nav><a href="/">Dashboard</a><a href="/api/openapi.json">API</a><a href="/metrics">Metrics</a></nav></header>
<main>
${body}
</main>
<footer>Read-only view of this validator's store. Scores: 0 if the gate fails, else 0.5·TTFT gain + 0.5·throughput gain over the baseline measured in the same session.</footer>
</body>
</html>
`;
}

/** A table whose columns sort on click (data-sort: number or text); the order without JS is the server's. */
function table(id: string, head: [string, "num" | "text"][], rows: string[][]): string {
  const th = head.map(([h, kind]) => `<th scope="col" data-sort="${kind}">${e(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.join("")}</tr>`).join("\n");
  return `<div class="scroll"><table id="${id}" class="sortable"><thead><tr>${th}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

/** A cell; `key` is what it sorts by (a number for numeric columns). */
const td = (html: string, key?: string | number, cls?: string) =>
  `<td${key === undefined ? "" : ` data-key="${e(String(key))}"`}${cls ? ` class="${cls}"` : ""}>${html}</td>`;

function kingCard(s: StateView): string {
  const k = s.king;
  if (!k)
    return `<section id="king" class="card"><h2>No king</h2><p>No submission has passed the gate with a score above 0 yet: the weight goes to the burn uid ${s.rules.burnUid}.</p></section>`;
  const left = Date.parse(k.marginZeroAt) - Date.parse(s.now);
  return `<section id="king" class="card king" data-submission="${k.submissionId}" data-uid="${k.uid}" data-score="${k.score}">
<h2>King: s${k.submissionId}</h2>
<dl>
<dt>Hotkey</dt><dd class="mono" title="${e(k.hotkey)}">${e(k.hotkey)}</dd>
<dt>uid</dt><dd class="uid">${k.uid}</dd>
<dt>Image</dt><dd class="mono" title="${e(k.image ?? "")}">${e(shortImage(k.image))}</dd>
<dt>Score</dt><dd class="score">${score(k.score)}</dd>
<dt>Crowned</dt><dd>${e(when(k.crownedAt))}</dd>
<dt>Margin now</dt><dd class="margin" data-margin="${k.marginNow}">${k.marginNow.toFixed(5)}</dd>
<dt>Margin reaches 0</dt><dd>${e(when(k.marginZeroAt))} (${left > 0 ? `in ${duration(left)}` : "reached"})</dd>
</dl>
<p class="note">A challenger is crowned when its score beats the king's fresh score from the same session by more than the margin (${s.rules.marginM0} at crowning, falling to 0 over ${(s.rules.decayMs / DAY_MS).toFixed(0)} days).</p>
</section>`;
}

function leaderboard(rows: readonly SubmissionView[], total: number): string {
  const out = rows.map((s, i) => {
    const r = s.result;
    const status = r ? (r.passed ? "pass" : "FAIL") : s.status;
    const why = r?.failure ?? s.reason ?? "";
    return [
      td(String(i + 1), i + 1),
      td(`s${s.id}${s.king ? ' <span class="badge">king</span>' : ""}`, s.id),
      td(s.uid === null ? "–" : String(s.uid), s.uid ?? -1),
      td(r ? score(r.score) : "–", r?.score ?? -1, "num score"),
      td(ms(r?.ttftMs ?? null), r?.ttftMs ?? "", "num ttft"),
      td(tps(r?.tokensPerSec ?? null), r?.tokensPerSec ?? "", "num tps"),
      td(
        `<span class="status ${status === "FAIL" ? "fail" : status === "pass" ? "pass" : ""}">${e(status)}</span>${why ? `<small>${e(why)}</small>` : ""}`,
        status,
        "why",
      ),
      td(`<span class="mono" title="${e(s.hotkey)}">${e(shortKey(s.hotkey))}</span>`, s.hotkey),
      td(
        `<span class="mono" title="${e(s.image ?? "")}">${e(shortImage(s.image))}</span>`,
        s.image ?? "",
      ),
      td(r ? `<a href="/evals/${r.evalId}">eval ${r.evalId}</a>` : "–", r?.evalId ?? -1),
    ];
  });
  const more =
    total > rows.length
      ? `<p class="note">The best ${rows.length} of ${total} submissions; <a href="/api/submissions">/api/submissions</a> pages through all.</p>`
      : "";
  return `<section id="leaderboard-section"><h2>Leaderboard</h2>${more}
${
  rows.length === 0
    ? "<p>No submissions yet.</p>"
    : table(
        "leaderboard",
        [
          ["#", "num"],
          ["submission", "num"],
          ["uid", "num"],
          ["score", "num"],
          ["TTFT ms", "num"],
          ["tok/s", "num"],
          ["status", "text"],
          ["hotkey", "text"],
          ["image", "text"],
          ["eval", "num"],
        ],
        out,
      )
}
</section>`;
}

function queue(s: StateView): string {
  const jobs = s.evaluating.map(
    (j) =>
      `<li><a href="/evals/${j.evalId}">eval ${j.evalId}</a> (${e(j.status)}): ${j.candidates.map((c) => `s${c}`).join(", ")}</li>`,
  );
  const next = s.queue.next.map(
    (q) =>
      `<li>s${q.id}, uid ${q.uid ?? "–"}, <span class="mono">${e(shortKey(q.hotkey))}</span>, committed at block ${q.block}</li>`,
  );
  return `<section id="queue"><h2>Queue <span class="count">${s.queue.depth}</span></h2>
${jobs.length ? `<h3>Being evaluated</h3><ul>${jobs.join("")}</ul>` : ""}
${next.length ? `<h3>Waiting, in commit order</h3><ol>${next.join("")}</ol>` : "<p>Nothing waiting.</p>"}
</section>`;
}

function weights(s: StateView): string {
  const w = s.weights;
  const set = w.lastSet
    ? `<p id="weights-last">Last set at block ${w.lastSet.block ?? "–"}: ${w.lastSet.uids.map((u, i) => `uid ${u} ← ${w.lastSet?.weights[i]}`).join(", ")}.</p>`
    : "<p>Weights have not been set yet.</p>";
  const attempt =
    w.lastAttempt && w.lastAttempt.status !== "set"
      ? `<p class="warn">Latest attempt (slot ${w.lastAttempt.slot}): ${e(w.lastAttempt.status)} after ${w.lastAttempt.attempts} tries${w.lastAttempt.error ? `: ${e(w.lastAttempt.error)}` : ""}.</p>`
      : "";
  return `<section id="weights"><h2>Weights</h2>${set}${attempt}<p>Chain head seen: block ${s.lastScanBlock ?? "–"}.</p></section>`;
}

function history(h: readonly HistoryEntryView[], nowIso: string): string {
  if (h.length === 0)
    return `<section id="history"><h2>King history</h2><p>No king yet.</p></section>`;
  const chart = stepSvg({
    title: "King's score over time",
    unit: "score",
    points: h.map((x) => ({
      atMs: Date.parse(x.at),
      value: x.type.startsWith("dethroned") ? 0 : x.score,
      label: `${x.type} s${x.submissionId} (uid ${x.uid}) ${score(x.score)}`,
      className: x.type.startsWith("dethroned") ? "dethroned" : "king",
    })),
    endMs: Date.parse(nowIso),
  });
  const rows = [...h]
    .reverse()
    .map((x) => [
      td(e(when(x.at)), x.at),
      td(e(x.type), x.type),
      td(`s${x.submissionId}`, x.submissionId),
      td(String(x.uid), x.uid),
      td(score(x.score), x.score, "num"),
      td(
        x.evalId === null ? "–" : `<a href="/evals/${x.evalId}">eval ${x.evalId}</a>`,
        x.evalId ?? -1,
      ),
    ]);
  return `<section id="history"><h2>King history</h2>
<figure>${chart}</figure>
${table(
  "history-table",
  [
    ["when", "text"],
    ["event", "text"],
    ["submission", "num"],
    ["uid", "num"],
    ["score", "num"],
    ["eval", "num"],
  ],
  rows,
)}
</section>`;
}

export function dashboardPage(
  s: StateView,
  subs: { total: number; submissions: readonly SubmissionView[] },
  h: readonly HistoryEntryView[],
  /** The newest evals, newest first. */
  evals: readonly { id: number; status: string }[],
): string {
  const recent = evals
    .map((j) => `<li><a href="/evals/${j.id}">eval ${j.id}</a> ${e(j.status)}</li>`)
    .join("");
  return page(
    "Dashboard",
    s.arena,
    `<div class="grid">${kingCard(s)}${queue(s)}</div>
${leaderboard(subs.submissions, subs.total)}
${history(h, s.now)}
<div class="grid">${weights(s)}<section id="evals"><h2>Recent evals</h2>${recent ? `<ul>${recent}</ul>` : "<p>None yet.</p>"}</section></div>`,
  );
}

function serverRow(v: ServerView, c?: CandidateView): string[] {
  return [
    td(e(v.name), v.name),
    td(e(v.role), v.role),
    td(`<span class="mono" title="${e(v.image ?? "")}">${e(shortImage(v.image))}</span>`),
    td(
      `<span class="status ${v.status === "ok" && (!c || c.gate.passed) ? "pass" : "fail"}">${c ? (c.gate.passed ? "pass" : "FAIL") : e(v.status)}</span>${v.failure ? `<small>${e(`${v.failure.stage}: ${v.failure.message}`)}</small>` : ""}`,
    ),
    td(ms(v.ttftMs), v.ttftMs ?? "", "num ttft"),
    td(tps(v.tokensPerSec), v.tokensPerSec ?? "", "num tps"),
    td(c ? score(c.score) : "–", c?.score ?? -1, "num score"),
  ];
}

/** A token as JSON shows it (spaces and newlines visible); the exact token in data-token. */
function tokenCell(t: string | null, cls: string): string {
  return t === null
    ? `<td class="${cls}"><span class="none">∅</span></td>`
    : `<td class="${cls}" data-token="${e(t)}">${e(JSON.stringify(t).slice(1, -1))}</td>`;
}

/** The first divergence, token by token: the reference's row over the candidate's. */
function divergence(p: PromptVerdictView): string {
  const d = p.divergence;
  if (!d) return "";
  const positions = d.tokens.map((t) => `<th>${t.position}</th>`).join("");
  const at = (pos: number) => (pos === d.position ? " at" : "");
  const ref = d.tokens.map((t) => tokenCell(t.reference, `tok${at(t.position)}`)).join("");
  const cand = d.tokens
    .map((t) =>
      tokenCell(
        t.candidate,
        `tok${at(t.position)}${t.candidate !== t.reference ? " differs" : ""}`,
      ),
    )
    .join("");
  const top = d.referenceTop
    .slice(0, 5)
    .map((t) => `${e(JSON.stringify(t.token))} ${t.logprob.toFixed(3)}`)
    .join(", ");
  return `<div class="divergence" data-prompt="${e(p.id)}" data-position="${d.position}">
<div class="scroll"><table class="tokens"><thead><tr><th></th>${positions}</tr></thead><tbody>
<tr><th scope="row">reference</th>${ref}</tr>
<tr><th scope="row">candidate</th>${cand}</tr>
</tbody></table></div>
<p>At token ${d.position}: reference ${d.reference ? `${e(JSON.stringify(d.reference.token))} (${d.reference.logprob.toFixed(3)})` : "stopped"}, candidate ${d.candidate ? `${e(JSON.stringify(d.candidate.token))} (${d.candidate.logprob.toFixed(3)})` : "ended its answer"}; ${d.gap === null ? "not in the reference's top list" : `gap to the reference's top-1 ${d.gap.toFixed(3)} (tie gap ${d.tieGap})`}. Reference top: ${top || "–"}.</p>
</div>`;
}

function candidateSection(c: CandidateView, b: ServerView, tpsPhase: string, ttftPhase: string) {
  const ttft = histogramSvg({
    title: `TTFT of ${c.name} vs baseline (${ttftPhase} phase)`,
    unit: "ms",
    series: [
      { name: "baseline", values: b.ttftSamplesMs, className: "baseline" },
      { name: c.name, values: c.ttftSamplesMs, className: "candidate" },
    ],
  });
  const thr = barSvg({
    title: `Throughput of ${c.name} vs baseline (${tpsPhase} phase, median trial; dots: each trial)`,
    unit: "tok/s",
    bars: [
      {
        label: "baseline",
        value: b.tokensPerSec ?? 0,
        className: "baseline",
        points: b.throughputTrials,
      },
      {
        label: c.name,
        value: c.tokensPerSec ?? 0,
        className: "candidate",
        points: c.throughputTrials,
      },
    ],
  });
  const odd = c.gate.prompts.filter((p) => p.status !== "match");
  const rows = c.gate.prompts.map((p) => [
    td(e(p.id), p.id),
    td(
      `<span class="status ${p.status === "fail" ? "fail" : "pass"}">${e(p.status)}</span>`,
      p.status,
    ),
    td(e(p.reason ?? ""), p.reason ?? ""),
    td(`${p.matchedTokens} / ${p.referenceTokens}`, p.matchedTokens),
    td(p.maxLogprobError.toFixed(4), p.maxLogprobError, "num"),
  ]);
  const improvements = `TTFT gain ${pct(c.ttftImprovement)}, throughput gain ${pct(c.tpsImprovement)}`;
  return `<section class="candidate" id="candidate-${e(c.name)}" data-name="${e(c.name)}" data-score="${c.score}" data-passed="${c.gate.passed}">
<h2>${e(c.name)} <small>${e(c.role)}${c.submissionId === null ? "" : `, submission s${c.submissionId}`}</small></h2>
<p class="summary">Score <strong class="score">${score(c.score)}</strong>: ${c.gate.passed ? improvements : `0, the gate failed (${e(c.gate.reasons.join("; ") || c.failure?.message || "not run")})`}.
${c.ttftMs === null || c.tokensPerSec === null ? "Not measured." : `TTFT ${ms(c.ttftMs)} ms vs the baseline's ${ms(b.ttftMs)} ms; ${tps(c.tokensPerSec)} tok/s vs ${tps(b.tokensPerSec)} tok/s.`}</p>
<div class="charts"><figure class="ttft-chart">${ttft}</figure><figure class="tps-chart">${thr}</figure></div>
<h3>Gate: ${c.gate.passed ? "passed" : "failed"}</h3>
<p>${c.gate.prompts.length} prompts judged; matched tokens ${pct(c.gate.matchedFraction)} of the reference's; ${c.gate.toleratedDivergences} tolerated divergences at near-ties; logprob error mean ${c.gate.meanLogprobError.toFixed(4)}, largest ${c.gate.maxLogprobError.toFixed(4)}.</p>
${odd.length ? `<h4>Prompts that diverged or failed (${odd.length})</h4>${odd.map((p) => `<div class="prompt ${p.status}"><p><strong>${e(p.id)}</strong>: ${e(p.status)}${p.reason ? ` (${e(p.reason)})` : ""}${p.message ? `: ${e(p.message)}` : ""}</p>${divergence(p)}</div>`).join("\n")}` : "<p>Every prompt matched the reference token for token.</p>"}
<details><summary>Every prompt's verdict (${c.gate.prompts.length})</summary>
${table(
  `prompts-${e(c.name)}`,
  [
    ["prompt", "text"],
    ["verdict", "text"],
    ["reason", "text"],
    ["matched / reference tokens", "num"],
    ["max logprob error", "num"],
  ],
  rows,
)}
</details>
</section>`;
}

export function evalPage(v: EvalView, arena: string): string {
  const r = v.report;
  const head = `<section id="eval" data-eval="${v.id}" data-status="${e(v.status)}"><h1>Eval ${v.id}</h1>
<dl>
<dt>Status</dt><dd>${e(v.status)}${v.reason ? ` (${e(v.reason)})` : ""}</dd>
<dt>Seed</dt><dd class="mono">${e(v.seed)} (block ${v.seedBlock})</dd>
<dt>Attempts</dt><dd>${v.attempts}</dd>
<dt>Candidates</dt><dd>${v.candidates.map((c) => `s${c.submissionId} (${e(c.role)})`).join(", ")}</dd>
${v.reportUrl ? `<dt>Report</dt><dd><a href="${e(v.reportUrl)}">full EvalReport (JSON)</a></dd>` : ""}
</dl></section>`;
  if (!r)
    return page(
      `Eval ${v.id}`,
      arena,
      `${head}<p>${e(v.reportProblem ?? "No report yet: the job has not settled.")}</p>`,
    );
  const servers = table(
    "servers",
    [
      ["server", "text"],
      ["role", "text"],
      ["image", "text"],
      ["result", "text"],
      ["TTFT ms", "num"],
      ["tok/s", "num"],
      ["score", "num"],
    ],
    [serverRow(r.baseline), ...r.candidates.map((c) => serverRow(c, c))],
  );
  const verdict = r.verdict.events.map((x) => `<li>${e(x)}</li>`).join("");
  return page(
    `Eval ${v.id}`,
    arena,
    `${head}
<section id="session"><h2>Session</h2>
<p>Arena ${e(r.arena)}, ${e(when(r.startedAt))} to ${e(when(r.finishedAt))}, status ${e(r.status)}.</p>
${servers}
${verdict ? `<h3>Verdict</h3><ul>${verdict}</ul>` : ""}
</section>
${r.candidates.map((c) => candidateSection(c, r.baseline, r.tpsPhase, r.ttftPhase)).join("\n")}`,
  );
}

export function errorPage(status: number, message: string, arena: string): string {
  return page(String(status), arena, `<h1>${status}</h1><p>${e(message)}</p>`);
}
