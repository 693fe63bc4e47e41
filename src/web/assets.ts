// The dashboard's stylesheet and script, served from memory (no build step, no files to find at
// run time). The script only adds what needs it: sorting a table by a column on click.

export const STYLE_CSS = `
:root { --fg: #1d232a; --muted: #5b6672; --bg: #f6f7f9; --card: #fff; --line: #dde1e6;
  --accent: #2b59c3; --baseline: #8a94a3; --candidate: #e07a1f; --king: #2b59c3; --pass: #1c7c3c;
  --fail: #b3261e; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.45; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1rem; padding: .75rem 1rem;
  background: #10213f; color: #fff; }
header a { color: #fff; text-decoration: none; }
.brand { font-weight: 700; font-size: 1.2rem; }
.brand span, .arena { opacity: .75; font-weight: 400; }
nav { margin-left: auto; display: flex; gap: 1rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
footer { max-width: 72rem; margin: 0 auto; padding: 1rem; color: var(--muted); font-size: .85rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem;
  margin: 0 0 1rem; min-width: 0; }
h1, h2, h3, h4 { margin: .2rem 0 .6rem; }
h2 small { color: var(--muted); font-weight: 400; font-size: .9rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
.grid > section { margin: 0 0 1rem; }
.king { border-left: 6px solid var(--king); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.mono, .tokens td { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
.note, small { color: var(--muted); font-size: .85rem; }
td small { display: block; max-width: 22rem; overflow-wrap: anywhere; }
.count, .badge { display: inline-block; padding: 0 .45rem; border-radius: 99px; background: var(--accent);
  color: #fff; font-size: .8rem; vertical-align: middle; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th[data-sort] { cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
.status.pass { color: var(--pass); font-weight: 600; }
.status.fail { color: var(--fail); font-weight: 600; }
.warn { color: var(--fail); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
figure { margin: 0; }
.chart { display: block; max-width: 36rem; height: auto; }
.chart .baseline { fill: var(--baseline); color: var(--baseline); }
.chart .candidate, .chart .challenger { fill: var(--candidate); color: var(--candidate); }
.chart .king { fill: var(--king); color: var(--king); }
.chart .dethroned { fill: var(--fail); color: var(--fail); }
.prompt { border-top: 1px solid var(--line); padding-top: .5rem; }
.tokens { width: auto; }
.tokens td, .tokens th { white-space: pre; border: 1px solid var(--line); text-align: center; }
.tokens td.at { background: #fff3cd; }
.tokens td.differs { background: #f8d7da; color: var(--fail); font-weight: 600; }
.teacher-tokens td { text-align: right; }
.teacher-tokens tr.failing td { background: #f8d7da; color: var(--fail); font-weight: 600; }
.none { color: var(--muted); }
details summary { cursor: pointer; margin: .5rem 0; }
@media (max-width: 40rem) {
  main { padding: .5rem; }
  section { padding: .75rem; }
  nav { margin-left: 0; }
  #leaderboard td small { display: none; }
  #leaderboard th:nth-child(1), #leaderboard td:nth-child(1),
  #leaderboard th:nth-child(8), #leaderboard td:nth-child(8),
  #leaderboard th:nth-child(9), #leaderboard td:nth-child(9) { display: none; }
}
`;

export const APP_JS = `"use strict";
// Sort a table by a column: click its header (again to reverse). Cells sort by data-key when set.
for (const table of document.querySelectorAll("table.sortable")) {
  const heads = [...table.tHead.rows[0].cells];
  heads.forEach((th, col) => {
    th.tabIndex = 0;
    const sort = () => {
      const numeric = th.dataset.sort === "num";
      const dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
      for (const h of heads) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      const key = (row) => {
        const cell = row.cells[col];
        const raw = cell.dataset.key ?? cell.textContent.trim();
        if (!numeric) return raw;
        const n = Number(raw);
        return raw === "" || Number.isNaN(n) ? -Infinity : n;
      };
      const body = table.tBodies[0];
      const rows = [...body.rows];
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      body.append(...rows);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); } });
  });
}
`;
