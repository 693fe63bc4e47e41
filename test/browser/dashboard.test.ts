// The dashboard in a real browser (Debian's Chromium through playwright-core, which downloads no
// browser of its own): one real demo round (`cacheon demo --serve`), then its pages checked against
// its API, with screenshots saved under test-artifacts/screenshots/. `npm run test:browser`.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StateView, SubmissionsPage } from "../../src/web/api.js";
import type { EvalView } from "../../src/web/eval-view.js";
import { launchChromium, screenshot } from "../helpers/browser.js";
import { type ServedDemo, startServedDemo } from "../web/demo-serve.js";

let demo: ServedDemo;
let browser: Browser;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startServedDemo(240_000), launchChromium()]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function json<T>(path: string): Promise<T> {
  const res = await fetch(`${demo.url}${path}`);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** Opens a page, failing the test on any console error or page error (a CSP violation is one). */
async function open(path: string, o: { width?: number; javaScript?: boolean } = {}) {
  const context = await browser.newContext({
    viewport: { width: o.width ?? 1280, height: 900 },
    javaScriptEnabled: o.javaScript ?? true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  const res = await page.goto(`${demo.url}${path}`);
  expect(res?.status()).toBe(200);
  return { page, problems, close: () => context.close() };
}

const texts = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? "").trim()));

describe("the dashboard in a browser", () => {
  it("shows the king and the leaderboard with the API's numbers, and sorts by a column", async () => {
    const state = await json<StateView>("/api/state");
    const subs = (await json<SubmissionsPage>("/api/submissions")).submissions;
    const { page, problems, close } = await open("/");
    const king = page.locator("#king");
    expect(await king.getAttribute("data-submission")).toBe(String(state.king?.submissionId));
    expect((await king.locator(".score").textContent())?.trim()).toBe(state.king?.score.toFixed(4));
    expect((await king.locator(".uid").textContent())?.trim()).toBe(String(state.king?.uid));
    expect(await king.textContent()).toContain(state.king?.hotkey);
    expect(await king.textContent()).toMatch(/Margin reaches 0.*\(in 6 d 23 h\)/s);

    const rows = page.locator("#leaderboard tbody tr");
    expect(await rows.count()).toBe(subs.length);
    expect(await texts(page, "#leaderboard tbody td.score")).toEqual(
      subs.map((s) => (s.result ? s.result.score.toFixed(4) : "–")),
    );
    expect(await texts(page, "#leaderboard tbody tr td:nth-child(2)")).toEqual(
      subs.map((s) => `s${s.id}${s.king ? " king" : ""}`),
    );
    await screenshot(page, "dashboard");

    // TTFT: first click sorts descending, the second ascending; rows without a TTFT sort lowest.
    const ttft = page.locator("#leaderboard th", { hasText: "TTFT ms" });
    const measured = subs.flatMap((s) => (s.result?.ttftMs == null ? [] : [s.result.ttftMs]));
    await ttft.click();
    expect(await ttft.getAttribute("aria-sort")).toBe("descending");
    const down = (await texts(page, "#leaderboard tbody td.ttft")).filter((t) => t !== "–");
    expect(down).toEqual([...measured].sort((a, b) => b - a).map((x) => x.toFixed(1)));
    await ttft.click();
    expect(await ttft.getAttribute("aria-sort")).toBe("ascending");
    const up = await texts(page, "#leaderboard tbody td.ttft");
    expect(up.filter((t) => t !== "–")).toEqual(
      [...measured].sort((a, b) => a - b).map((x) => x.toFixed(1)),
    );
    expect(up.slice(0, subs.length - measured.length).every((t) => t === "–")).toBe(true);
    await screenshot(page, "dashboard-sorted-by-ttft");

    // The king history chart has the crowning, at its time and score.
    const marker = page.locator("#history svg [data-at]");
    expect(await marker.count()).toBe(1);
    expect(Number(await marker.getAttribute("data-value"))).toBe(state.king?.score);
    expect(Number(await marker.getAttribute("data-at"))).toBe(
      Date.parse(state.king?.crownedAt ?? ""),
    );
    expect(problems).toEqual([]);
    await close();
  });

  it("reads without JavaScript: the king and the leaderboard are in the page itself", async () => {
    const state = await json<StateView>("/api/state");
    const { page, problems, close } = await open("/", { javaScript: false });
    expect((await page.locator("#king .score").textContent())?.trim()).toBe(
      state.king?.score.toFixed(4),
    );
    expect(await page.locator("#leaderboard tbody tr").count()).toBe(4);
    expect(await page.locator("#history svg").count()).toBe(1);
    expect(problems).toEqual([]);
    await close();
  });

  it("fits a phone: the king's score and every leaderboard score are on screen without scrolling sideways", async () => {
    const { page, problems, close } = await open("/", { width: 390 });
    const inside = async (selector: string) => {
      for (const box of await page
        .locator(selector)
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right))) {
        expect(box, selector).toBeLessThanOrEqual(390);
      }
    };
    await inside("#king .score");
    await inside("#leaderboard tbody td.score");
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await screenshot(page, "dashboard-phone");
    expect(problems).toEqual([]);
    await close();
  });

  it("shows an eval: TTFT distributions and throughput against the baseline, and the first divergence token by token", async () => {
    const v = await json<EvalView>("/api/evals/1");
    const r = v.report;
    if (!r) throw new Error("no report");
    const { page, problems, close } = await open("/evals/1");
    for (const c of r.candidates) {
      const section = page.locator(`section.candidate[data-name="${c.name}"]`);
      expect(Number(await section.getAttribute("data-score"))).toBe(c.score);
      const binsOf = (series: string) =>
        section
          .locator(`.ttft-chart rect[data-series="${series}"]`)
          .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-value"))));
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(sum(await binsOf("baseline"))).toBe(r.baseline.ttftSamplesMs.length);
      expect(sum(await binsOf(c.name))).toBe(c.ttftSamplesMs.length);
      const bar = async (label: string) =>
        Number(
          await section
            .locator(`.tps-chart rect[data-series="${label}"]`)
            .getAttribute("data-value"),
        );
      expect(await bar("baseline")).toBe(r.baseline.tokensPerSec);
      expect(await bar(c.name)).toBe(c.tokensPerSec ?? 0);
    }
    await screenshot(page, "eval");

    const dave = r.candidates.find((c) => c.image?.includes("dave/"));
    const p = dave?.gate.prompts.find((x) => x.status === "fail");
    const d = p?.divergence;
    if (!dave || !p || !d) throw new Error("no divergence for the wrong model");
    const box = page.locator(`section.candidate[data-name="${dave.name}"] .divergence`).first();
    expect(await box.getAttribute("data-prompt")).toBe(p.id);
    expect(await box.getAttribute("data-position")).toBe(String(d.position));
    const at = await page
      .locator(`section.candidate[data-name="${dave.name}"] .divergence td.at`)
      .evaluateAll((els) => els.map((x) => x.getAttribute("data-token")));
    expect(at.slice(0, 2)).toEqual([d.reference?.token ?? null, d.candidate?.token ?? null]);
    expect(
      await page
        .locator(`section.candidate[data-name="${dave.name}"] .divergence tbody tr`)
        .first()
        .locator("td")
        .count(),
    ).toBe(d.tokens.length);
    await box.scrollIntoViewIfNeeded();
    await box.screenshot({ path: `${process.cwd()}/test-artifacts/screenshots/divergence.png` });
    expect(problems).toEqual([]);
    await close();
  });
});
