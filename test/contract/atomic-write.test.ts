import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/contract/atomic-write.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "cacheon-atomic-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const temps = (dir: string) => readdirSync(dir).filter((e) => e.endsWith(".tmp"));

describe("writeFileAtomic", () => {
  it("writes a new file, replaces an old one and leaves no temp file", () => {
    const dir = tempDir();
    const file = join(dir, "report.json");
    writeFileAtomic(file, "one\n");
    expect(readFileSync(file, "utf8")).toBe("one\n");
    writeFileAtomic(file, Buffer.from("two\n"));
    expect(readFileSync(file, "utf8")).toBe("two\n");
    expect(readdirSync(dir)).toEqual(["report.json"]);
  });

  it("gives the file the mode asked for", () => {
    const file = join(tempDir(), "secret.json");
    writeFileAtomic(file, "{}", { mode: 0o600 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("replaces a symlink's target, not the link", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "real"));
    writeFileSync(join(dir, "real", "r.json"), "old");
    symlinkSync(join(dir, "real", "r.json"), join(dir, "link.json"));
    writeFileAtomic(join(dir, "link.json"), "new");
    expect(readFileSync(join(dir, "real", "r.json"), "utf8")).toBe("new");
    expect(readdirSync(join(dir, "real"))).toEqual(["r.json"]);
  });

  it("throws and removes its temp file when the rename fails, leaving what was there", () => {
    const dir = tempDir();
    const taken = join(dir, "taken");
    mkdirSync(taken);
    writeFileSync(join(taken, "x"), "x");
    expect(() => writeFileAtomic(taken, "data")).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(["taken"]);
  });

  it("throws when the folder cannot be written, leaving the old file", () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    const dir = tempDir();
    const file = join(dir, "f.json");
    writeFileSync(file, "old");
    chmodSync(dir, 0o500);
    try {
      expect(() => writeFileAtomic(file, "new")).toThrow(/EACCES/);
    } finally {
      chmodSync(dir, 0o700);
    }
    expect(readFileSync(file, "utf8")).toBe("old");
    expect(temps(dir)).toEqual([]);
  });

  it("removes the temp files of writers that are gone, and only theirs", () => {
    const dir = tempDir();
    const file = join(dir, "f.json");
    // A pid above the kernel's limit (4194304) is never alive.
    const dead = `.f.json.99999999.${"a".repeat(16)}.tmp`;
    const mine = `.f.json.${process.pid}.${"b".repeat(16)}.tmp`;
    const other = `.g.json.99999999.${"c".repeat(16)}.tmp`;
    for (const name of [dead, mine, other]) writeFileSync(join(dir, name), "partial");
    writeFileAtomic(file, "whole");
    expect(readdirSync(dir).sort()).toEqual([mine, other, "f.json"].sort());
  });
});

// A writer killed at random moments: the file is the old content or the new, whole, every time.

const CHILD = `
import { createHash } from "node:crypto";
import { writeFileAtomic } from ${JSON.stringify(
  pathToFileURL(resolve("dist/src/contract/atomic-write.js")).href,
)};
const [file, mb] = process.argv.slice(2);
const pad = "x".repeat(Number(mb) * 1024 * 1024);
// Two contents made once, so the writer spends its time writing them, one after the other.
const contents = [1, 2].map((i) => {
  const body = JSON.stringify({ writer: process.pid, i, pad });
  return JSON.stringify({ sha: createHash("sha256").update(body).digest("hex"), body });
});
process.stdout.write("writing\\n");
for (let n = 0; ; n++) writeFileAtomic(file, contents[n % 2]);
`;

/** The file's content is whole: it parses and its body hashes to the hash it carries. */
function whole(file: string): { writer: number } {
  const text = readFileSync(file, "utf8");
  expect(text.length).toBeGreaterThan(0);
  const { sha, body } = JSON.parse(text) as { sha: string; body: string };
  expect(createHash("sha256").update(body).digest("hex")).toBe(sha);
  const { writer } = JSON.parse(body) as { writer: number };
  return { writer };
}

describe("writeFileAtomic under SIGKILL", () => {
  it("leaves the old or the new file whole, whenever the writer is killed", async () => {
    const dir = tempDir();
    const script = join(dir, "writer.mjs");
    writeFileSync(script, CHILD);
    const file = join(dir, "report.json");
    const body = JSON.stringify({ writer: 0, i: 0, pad: "" });
    writeFileSync(
      file,
      JSON.stringify({ sha: createHash("sha256").update(body).digest("hex"), body }),
    );

    const started = Date.now();
    let kills = 0;
    let midWrite = 0;
    let wrote = 0;
    for (let n = 0; n < 30 && Date.now() - started < 60_000; n++) {
      const child: ChildProcess = spawn(process.execPath, [script, file, "4"], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      // Killed once it writes (its start takes longer than a write), at a random moment.
      await Promise.race([new Promise((r) => child.stdout?.once("data", r)), exited]);
      await new Promise((r) => setTimeout(r, Math.random() * 100));
      child.kill("SIGKILL");
      await exited;
      kills++;
      // A temp file of this writer: the kill came while it was writing.
      if (temps(dir).some((t) => t.includes(`.${child.pid}.`))) midWrite++;
      const now = whole(file);
      if (now.writer !== 0) wrote++;
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(wrote).toBeGreaterThan(0);
    // Enough kills landed inside a write for the test to mean something.
    expect(midWrite).toBeGreaterThanOrEqual(8);
    // The next write removes what the killed writers left.
    writeFileAtomic(file, "{}");
    expect(temps(dir)).toEqual([]);
    expect(existsSync(file)).toBe(true);
  }, 90_000);
});
