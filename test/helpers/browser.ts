// A real browser for the dashboard's tests: Debian's Chromium driven by playwright-core (which
// downloads no browser of its own), headless, with nothing that phones out. Screenshots go to
// test-artifacts/screenshots/, which CI keeps as the tests' artifacts.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CACHEON_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(process.cwd(), "test-artifacts", "screenshots");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CACHEON_CHROMIUM); .ci/run installs it`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

/** Saves a full-page screenshot as test-artifacts/screenshots/NAME.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
