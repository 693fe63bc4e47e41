// The dashboard's pages, rendered on the server from the same views the API serves: everything,
// charts included (inline SVG), reads without JavaScript; the small script only sorts tables.
// Markup is built only with the `html` tag (./html.ts): every string interpolated is text, escaped
// by construction, so a hotkey, image, reason or token a miner chose cannot become markup.

import type { HistoryEntryView, StateView, SubmissionView } from "./api.js";
import { barSvg, histogramSvg, stepSvg } from "./charts.js";
import type { CandidateView, EvalView, PromptVerdictView, ServerView } from "./eval-view.js";
import { type HtmlValue, html, join, type SafeHtml } from "./html.js";

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

function page(title: string, arena: string, body: HtmlValue): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Cacheon</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header><a class="brand" href="/">Cacheon <span>SN14</span></a><span class="arena">arena ${arena}</span>
<nav><a href="/">Dashboard</a><a href="/api/openapi.json">API</a><a href="/metrics">Metrics</a></nav></header>
<main>
${body}
</main>
<footer>Read-only view of this validator's store. Scores: 0 if the gate fails, else 0.5·TTFT gain + 0.5·throughput gain over the baseline measured in the same session.</footer>
</body>
</html>
`.toString();
}

/** A table whose columns sort on click (data-sort: number or text); the order without JS is the server's. */
function table(id: string, head: [string, "num" | "text"][], rows: HtmlValue[][]): SafeHtml {
  const th = head.map(([h, kind]) => html`<th scope="col" data-sort="${kind}">${h}</th>`);
  const body = join(
    rows.map((r) => html`<tr>${r}</tr>`),
    "\n",
  );
  return html`<div class="scroll"><table id="${id}" class="sortable"><thead><tr>${th}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

/** A cell; `key` is what it sorts by (a number for numeric columns). */
const td = (content: HtmlValue, key?: string | number, cls?: string) =>
  html`<td${key === undefined ? null : html` data-key="${key}"`}${cls ? html` class="${cls}"` : null}>${content}</td>`;

function kingCard(s: StateView): SafeHtml {
  const k = s.king;
  if (!k)
    return html`<section id="king" class="card"><h2>No king</h2><p>No submission has passed the gate with a score above 0 yet: the weight goes to the burn uid ${s.rules.burnUid}.</p></section>`;
  const left = Date.parse(k.marginZeroAt) - Date.parse(s.now);
  return html`<section id="king" class="card king" data-submission="${k.submissionId}" data-uid="${k.uid}" data-score="${k.score}">
<h2>King: s${k.submissionId}</h2>
<dl>
<dt>Hotkey</dt><dd class="mono" title="${k.hotkey}">${k.hotkey}</dd>
<dt>uid</dt><dd class="uid">${k.uid}</dd>
<dt>Image</dt><dd class="mono" title="${k.image ?? ""}">${shortImage(k.image)}</dd>
<dt>Score</dt><dd class="score">${score(k.score)}</dd>
<dt>Crowned</dt><dd>${when(k.crownedAt)}</dd>
<dt>Margin now</dt><dd class="margin" data-margin="${k.marginNow}">${k.marginNow.toFixed(5)}</dd>
<dt>Margin reaches 0</dt><dd>${when(k.marginZeroAt)} (${left > 0 ? `in ${duration(left)}` : "reached"})</dd>
</dl>
<p class="note">A challenger is crowned when its score beats the king's fresh score from the same session by more than the margin (${s.rules.marginM0} at crowning, falling to 0 over ${(s.rules.decayMs / DAY_MS).toFixed(0)} days).</p>
</section>`;
}

function leaderboard(rows: readonly SubmissionView[], total: number): SafeHtml {
  const out = rows.map((s, i) => {
    const r = s.result;
    const status = r ? (r.passed ? "pass" : "FAIL") : s.status;
    const why = r?.failure ?? s.reason ?? "";
    return [
      td(String(i + 1), i + 1),
      td(html`s${s.id}${s.king ? html` <span class="badge">king</span>` : ""}`, s.id),
      td(s.uid === null ? "–" : String(s.uid), s.uid ?? -1),
      td(r ? score(r.score) : "–", r?.score ?? -1, "num score"),
      td(ms(r?.ttftMs ?? null), r?.ttftMs ?? "", "num ttft"),
      td(tps(r?.tokensPerSec ?? null), r?.tokensPerSec ?? "", "num tps"),
      td(
        html`<span class="status ${status === "FAIL" ? "fail" : status === "pass" ? "pass" : ""}">${status}</span>${why ? html`<small>${why}</small>` : ""}`,
        status,
        "why",
      ),
      td(html`<span class="mono" title="${s.hotkey}">${shortKey(s.hotkey)}</span>`, s.hotkey),
      td(
        html`<span class="mono" title="${s.image ?? ""}">${shortImage(s.image)}</span>`,
        s.image ?? "",
      ),
      td(r ? html`<a href="/evals/${r.evalId}">eval ${r.evalId}</a>` : "–", r?.evalId ?? -1),
    ];
  });
  const more =
    total > rows.length
      ? html`<p class="note">The best ${rows.length} of ${total} submissions; <a href="/api/submissions">/api/submissions</a> pages through all.</p>`
      : "";
  return html`<section id="leaderboard-section"><h2>Leaderboard</h2>${more}
${
  rows.length === 0
    ? html`<p>No submissions yet.</p>`
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

function queue(s: StateView): SafeHtml {
  const jobs = s.evaluating.map(
    (j) =>
      html`<li><a href="/evals/${j.evalId}">eval ${j.evalId}</a> (${j.status}): ${join(
        j.candidates.map((c) => `s${c}`),
        ", ",
      )}</li>`,
  );
  const next = s.queue.next.map(
    (q) =>
      html`<li>s${q.id}, uid ${q.uid ?? "–"}, <span class="mono">${shortKey(q.hotkey)}</span>, committed at block ${q.block}</li>`,
  );
  return html`<section id="queue"><h2>Queue <span class="count">${s.queue.depth}</span></h2>
${jobs.length ? html`<h3>Being evaluated</h3><ul>${jobs}</ul>` : ""}
${next.length ? html`<h3>Waiting, in commit order</h3><ol>${next}</ol>` : html`<p>Nothing waiting.</p>`}
</section>`;
}

function weights(s: StateView): SafeHtml {
  const w = s.weights;
  const set = w.lastSet
    ? html`<p id="weights-last">Last set at block ${w.lastSet.block ?? "–"}${
        w.lastSet.committed
          ? ` (revealed by the chain from the timelocked commit of block ${w.lastSet.committed.block}, drand round ${w.lastSet.committed.revealRound})`
          : ""
      }: ${join(
        w.lastSet.uids.map((u, i) => `uid ${u} ← ${w.lastSet?.weights[i]}`),
        ", ",
      )}.</p>`
    : html`<p>Weights have not been set yet.</p>`;
  const attempt =
    w.lastAttempt && w.lastAttempt.status !== "set"
      ? html`<p class="warn">Latest attempt (slot ${w.lastAttempt.slot}): ${w.lastAttempt.status} after ${w.lastAttempt.attempts} tries${w.lastAttempt.error ? `: ${w.lastAttempt.error}` : ""}.</p>`
      : "";
  return html`<section id="weights"><h2>Weights</h2>${set}${commitLine(w.lastCommit)}${attempt}<p>Chain head seen: block ${s.lastScanBlock ?? "–"}.</p></section>`;
}

/** Rented pods (none with static pods): state, price, today's spend and idle time; no addresses. */
function pods(s: StateView): SafeHtml | "" {
  if (s.pods.length === 0) return "";
  const usd = (x: number) => `$${x.toFixed(2)}`;
  const rows = s.pods.map((p) => [
    td(html`<span class="mono">${p.name}</span>`, p.name),
    td(p.state, p.state),
    td(`${p.provider} ${p.instanceType}`, `${p.provider} ${p.instanceType}`),
    td(`${usd(p.hourlyPriceUsd)}/h`, p.hourlyPriceUsd, "num"),
    td(usd(p.spentTodayUsd), p.spentTodayUsd, "num"),
    td(p.idleSeconds === null ? "–" : duration(p.idleSeconds * 1000), p.idleSeconds ?? -1, "num"),
  ]);
  const total = s.pods.reduce((sum, p) => sum + p.spentTodayUsd, 0);
  return html`<section id="pods"><h2>Pods <span class="count">${s.pods.filter((p) => p.state !== "deleted" && p.state !== "failed").length}</span></h2>
${table(
  "pods-table",
  [
    ["Pod", "text"],
    ["State", "text"],
    ["Machine", "text"],
    ["Price", "num"],
    ["Spent today", "num"],
    ["Idle", "num"],
  ],
  rows,
)}<p>Spent today (UTC): ${usd(total)}.</p></section>`;
}

/** The newest timelocked commit, unless it is the one already shown as on chain. */
function commitLine(c: StateView["weights"]["lastCommit"]): SafeHtml | "" {
  if (!c || c.status === "revealed") return "";
  const what = `Timelocked commit of block ${c.commitBlock} (drand round ${c.revealRound})`;
  if (c.status === "pending")
    return html`<p id="weights-commit">${what}: waiting for the chain to reveal it in epoch ${c.revealEpoch} (from block ${c.firstRevealBlock}).</p>`;
  return html`<p id="weights-commit" class="warn">${what}: ${
    c.status === "expired"
      ? `expired unrevealed in epoch ${c.revealEpoch}`
      : c.status === "dropped"
        ? `left the chain unrevealed in epoch ${c.revealEpoch}`
        : `not confirmed (its reveal epoch ${c.revealEpoch} is older than the node keeps, and the weights on chain are not its)`
  }; the next slot commits again.</p>`;
}

function history(h: readonly HistoryEntryView[], nowIso: string): SafeHtml {
  if (h.length === 0)
    return html`<section id="history"><h2>King history</h2><p>No king yet.</p></section>`;
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
      td(when(x.at), x.at),
      td(x.type, x.type),
      td(`s${x.submissionId}`, x.submissionId),
      td(String(x.uid), x.uid),
      td(score(x.score), x.score, "num"),
      td(
        x.evalId === null ? "–" : html`<a href="/evals/${x.evalId}">eval ${x.evalId}</a>`,
        x.evalId ?? -1,
      ),
    ]);
  return html`<section id="history"><h2>King history</h2>
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
  const recent = evals.map(
    (j) => html`<li><a href="/evals/${j.id}">eval ${j.id}</a> ${j.status}</li>`,
  );
  return page(
    "Dashboard",
    s.arena,
    html`<div class="grid">${kingCard(s)}${queue(s)}</div>
${leaderboard(subs.submissions, subs.total)}
${history(h, s.now)}
<div class="grid">${weights(s)}<section id="evals"><h2>Recent evals</h2>${recent.length ? html`<ul>${recent}</ul>` : html`<p>None yet.</p>`}</section></div>
${pods(s)}`,
  );
}

function serverRow(v: ServerView, c?: CandidateView): HtmlValue[] {
  return [
    td(v.name, v.name),
    td(v.role, v.role),
    td(html`<span class="mono" title="${v.image ?? ""}">${shortImage(v.image)}</span>`),
    td(
      html`<span class="status ${v.status === "ok" && (!c || c.gate.passed) ? "pass" : "fail"}">${c ? (c.gate.passed ? "pass" : "FAIL") : v.status}</span>${v.failure ? html`<small>${`${v.failure.stage}: ${v.failure.message}`}</small>` : ""}`,
    ),
    td(ms(v.ttftMs), v.ttftMs ?? "", "num ttft"),
    td(tps(v.tokensPerSec), v.tokensPerSec ?? "", "num tps"),
    td(c ? score(c.score) : "–", c?.score ?? -1, "num score"),
  ];
}

/** A token as JSON shows it (spaces and newlines visible); the exact token in data-token. */
function tokenCell(t: string | null, cls: string): SafeHtml {
  return t === null
    ? html`<td class="${cls}"><span class="none">∅</span></td>`
    : html`<td class="${cls}" data-token="${t}">${JSON.stringify(t).slice(1, -1)}</td>`;
}

/** The first divergence, token by token: the reference's row over the candidate's. */
function divergence(p: PromptVerdictView): SafeHtml | "" {
  const d = p.divergence;
  if (!d) return "";
  const positions = d.tokens.map((t) => html`<th>${t.position}</th>`);
  const at = (pos: number) => (pos === d.position ? " at" : "");
  const ref = d.tokens.map((t) => tokenCell(t.reference, `tok${at(t.position)}`));
  const cand = d.tokens.map((t) =>
    tokenCell(t.candidate, `tok${at(t.position)}${t.candidate !== t.reference ? " differs" : ""}`),
  );
  const top = d.referenceTop
    .slice(0, 5)
    .map((t) => `${JSON.stringify(t.token)} ${t.logprob.toFixed(3)}`)
    .join(", ");
  return html`<div class="divergence" data-prompt="${p.id}" data-position="${d.position}">
<div class="scroll"><table class="tokens"><thead><tr><th></th>${positions}</tr></thead><tbody>
<tr><th scope="row">reference</th>${ref}</tr>
<tr><th scope="row">candidate</th>${cand}</tr>
</tbody></table></div>
<p>At token ${d.position}: reference ${d.reference ? `${JSON.stringify(d.reference.token)} (${d.reference.logprob.toFixed(3)})` : "stopped"}, candidate ${d.candidate ? `${JSON.stringify(d.candidate.token)} (${d.candidate.logprob.toFixed(3)})` : "ended its answer"}; ${d.gap === null ? html`not in the reference's top list` : html`gap to the reference's top-1 ${d.gap.toFixed(3)} (tie gap ${d.tieGap})`}. Reference top: ${top || "–"}.</p>
</div>`;
}

const lp = (x: number) => x.toFixed(3);

/** After the fork: each candidate token as the teacher scored it, the failing one marked. */
function teacherEvidence(p: PromptVerdictView): SafeHtml | "" {
  const e = p.teacher;
  if (!e) return "";
  const rows = e.tokens.map((t) => {
    const failing = t.position === e.failedAt;
    return html`<tr class="${failing ? "failing" : "scored"}" data-position="${t.position}" data-verdict="${t.verdict}"><td class="num">${t.position}</td>${tokenCell(t.token, "tok")}<td class="num">${lp(t.logprob)}</td><td class="num">${t.rank}</td><td class="num">${lp(t.top1)}</td><td class="num">${lp(t.claimed)}</td><td class="verdict">${t.verdict}</td></tr>`;
  });
  const shown =
    e.tokens.length === 0 ? "none" : `${e.tokens[0]?.position}–${e.tokens.at(-1)?.position}`;
  const stop = e.stop
    ? html` The candidate stopped after token ${e.fork.candidateTokens - 1}: the teacher's end of sequence there has logprob ${lp(e.stop.logprob)}, rank ${e.stop.rank}, top-1 ${lp(e.stop.top1)}.`
    : "";
  return html`<div class="teacher" data-prompt="${p.id}" data-fork="${e.fork.position}">
<p>The teacher (the baseline image, scoring the candidate's own prefix) from the fork at token ${e.fork.position} on (the first difference judged by ${e.fork.judgedBy === "teacher" ? "the teacher" : "the reference's top list"}): ${e.scored} tokens scored, tokens ${shown} shown${e.failedAt === null ? "" : `, the request failed at token ${e.failedAt}`}.${stop}</p>
<div class="scroll"><table class="tokens teacher-tokens"><thead><tr><th>token #</th><th>candidate token</th><th>teacher logprob</th><th>rank</th><th>teacher top-1</th><th>candidate's logprob</th><th>verdict</th></tr></thead><tbody>
${rows}
</tbody></table></div>
</div>`;
}

function teacherSummary(c: CandidateView): string {
  const { candidate: m, control: k } = c.gate.teacher;
  if (m.tokens === 0) return "";
  return ` The teacher scored ${m.tokens} tokens after the forks: ${pct(m.notFineShare)} outside the tie gap of its top-1, mean NLL excess ${m.nllExcess.toFixed(4)}; the stock control's ${k.tokens}: ${pct(k.notFineShare)}, ${k.nllExcess.toFixed(4)}.`;
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
    td(p.id, p.id),
    td(
      html`<span class="status ${p.status === "fail" ? "fail" : "pass"}">${p.status}</span>`,
      p.status,
    ),
    td(p.reason ?? "", p.reason ?? ""),
    td(`${p.matchedTokens} / ${p.referenceTokens}`, p.matchedTokens),
    td(p.maxLogprobError.toFixed(4), p.maxLogprobError, "num"),
  ]);
  const improvements = `TTFT gain ${pct(c.ttftImprovement)}, throughput gain ${pct(c.tpsImprovement)}`;
  const oddPrompts = odd.map(
    (p) =>
      html`<div class="prompt ${p.status}"><p><strong>${p.id}</strong>: ${p.status}${p.reason ? ` (${p.reason})` : ""}${p.message ? `: ${p.message}` : ""}</p>${divergence(p)}${teacherEvidence(p)}</div>`,
  );
  return html`<section class="candidate" id="candidate-${c.name}" data-name="${c.name}" data-score="${c.score}" data-passed="${String(c.gate.passed)}">
<h2>${c.name} <small>${c.role}${c.submissionId === null ? "" : `, submission s${c.submissionId}`}</small></h2>
<p class="summary">Score <strong class="score">${score(c.score)}</strong>: ${c.gate.passed ? improvements : `0, the gate failed (${c.gate.reasons.join("; ") || c.failure?.message || "not run"})`}.
${c.ttftMs === null || c.tokensPerSec === null ? "Not measured." : html`TTFT ${ms(c.ttftMs)} ms vs the baseline's ${ms(b.ttftMs)} ms; ${tps(c.tokensPerSec)} tok/s vs ${tps(b.tokensPerSec)} tok/s.`}</p>
<div class="charts"><figure class="ttft-chart">${ttft}</figure><figure class="tps-chart">${thr}</figure></div>
<h3>Gate: ${c.gate.passed ? "passed" : "failed"}</h3>
<p>${c.gate.prompts.length} prompts judged; matched tokens ${pct(c.gate.matchedFraction)} of the reference's; ${c.gate.toleratedDivergences} requests forked from the reference at a near-tie; logprob error mean ${c.gate.meanLogprobError.toFixed(4)}, largest ${c.gate.maxLogprobError.toFixed(4)}.${teacherSummary(c)}</p>
${odd.length ? html`<h4>Prompts that diverged or failed (${odd.length})</h4>${join(oddPrompts, "\n")}` : html`<p>Every prompt matched the reference token for token.</p>`}
<details><summary>Every prompt's verdict (${c.gate.prompts.length})</summary>
${table(
  `prompts-${c.name}`,
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
  const candidates = v.candidates.map((c) => `s${c.submissionId} (${c.role})`).join(", ");
  const head = html`<section id="eval" data-eval="${v.id}" data-status="${v.status}"><h1>Eval ${v.id}</h1>
<dl>
<dt>Status</dt><dd>${v.status}${v.reason ? ` (${v.reason})` : ""}</dd>
<dt>Seed</dt><dd class="mono">${v.seed} (block ${v.seedBlock})</dd>
<dt>Attempts</dt><dd>${v.attempts}</dd>
<dt>Candidates</dt><dd>${candidates}</dd>
${v.reportUrl ? html`<dt>Report</dt><dd><a href="${v.reportUrl}">full EvalReport (JSON)</a></dd>` : ""}
</dl></section>`;
  if (!r)
    return page(
      `Eval ${v.id}`,
      arena,
      html`${head}<p>${v.reportProblem ?? "No report yet: the job has not settled."}</p>`,
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
  const verdict = r.verdict.events.map((x) => html`<li>${x}</li>`);
  return page(
    `Eval ${v.id}`,
    arena,
    html`${head}
<section id="session"><h2>Session</h2>
<p>Arena ${r.arena}, ${when(r.startedAt)} to ${when(r.finishedAt)}, status ${r.status}.</p>
${servers}
${verdict.length ? html`<h3>Verdict</h3><ul>${verdict}</ul>` : ""}
</section>
${join(
  r.candidates.map((c) => candidateSection(c, r.baseline, r.tpsPhase, r.ttftPhase)),
  "\n",
)}`,
  );
}

export function errorPage(status: number, message: string, arena: string): string {
  return page(String(status), arena, html`<h1>${status}</h1><p>${message}</p>`);
}
