// Reference servers go with the process that started them, even when it is SIGKILLed and has no
// chance to stop them: a bare parent of the spawn helper, `cacheon eval` and `cacheon pod serve`.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cliEntry } from "../../src/entry.js";
import { PodClient } from "../../src/pod/client.js";
import { tinyArenaFile, tinyArenaPath } from "../helpers/arenas.js";
import { type PodProcess, startPod, TOKEN } from "../pod/pod-process.js";

const HAS_PROC = existsSync("/proc/self/stat");
const dir = mkdtempSync(join(tmpdir(), "cacheon-orphans-"));
/** Every pid a test saw, killed at the end should any still run (a failing test leaks none). */
const seen = new Set<number>();
const pods: PodProcess[] = [];
afterAll(async () => {
  for (const pid of seen) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  for (const p of pods) await p.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A process's state letter and parent from /proc, or null once it is gone. */
function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ")".
    const [state = "", ppid = "0"] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

/** Running: not gone and not a zombie waiting to be reaped. */
const running = (pid: number): boolean => {
  const s = procStat(pid);
  return s !== null && s.state !== "Z";
};

/** The `reference serve` children of `parent`. */
function referenceChildren(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (procStat(pid)?.ppid !== parent) continue;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmdline.includes("reference\0serve")) out.push(pid);
  }
  return out;
}

/** Polls `check` every 50 ms until it holds or `ms` pass; whether it held. */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether something accepts a TCP connection at `url`'s host and port. */
function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
    socket.once("timeout", () => {
      socket.destroy();
      done(false);
    });
  });
}

/** SIGKILLs `child` and waits until the OS has it gone. */
async function sigkill(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await exited;
}

/** Waits for `parent` to have at least `n` reference children and returns them. */
async function childrenOnceStarted(parent: number, n: number, ms: number): Promise<number[]> {
  let found: number[] = [];
  await within(ms, () => {
    found = referenceChildren(parent);
    return found.length >= n;
  });
  for (const pid of found) seen.add(pid);
  return found;
}

const PARENT = `
import { spawnReferenceServer } from ${JSON.stringify(
  pathToFileURL(resolve("dist/src/reference/spawn.js")).href,
)};
const servers = await Promise.all([spawnReferenceServer(), spawnReferenceServer()]);
process.stdout.write(JSON.stringify(servers.map((s) => ({ pid: s.pid, url: s.url }))) + "\\n");
setInterval(() => {}, 1000); // until killed
`;

describe.skipIf(!HAS_PROC)("reference servers of a SIGKILLed parent", () => {
  it("exit, and their ports close, when the process that spawned them is killed", async () => {
    const script = join(dir, "parent.mjs");
    writeFileSync(script, PARENT);
    const parent = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    let line = "";
    parent.stdout?.setEncoding("utf8").on("data", (s: string) => {
      line += s;
    });
    const ready = await within(60_000, () => line.includes("\n") || parent.exitCode !== null);
    expect(ready && parent.exitCode === null).toBe(true);
    const servers = JSON.parse(line) as { pid: number; url: string }[];
    for (const s of servers) seen.add(s.pid);
    expect(servers).toHaveLength(2);
    for (const s of servers) {
      expect(running(s.pid)).toBe(true);
      expect(await answers(s.url)).toBe(true);
    }

    await sigkill(parent);
    expect(await within(5_000, () => servers.every((s) => !running(s.pid)))).toBe(true);
    for (const s of servers) expect(await answers(s.url)).toBe(false);
  }, 90_000);

  it("exit when `cacheon eval` is killed mid-session", async () => {
    const evalCli = spawn(
      process.execPath,
      [
        cliEntry(),
        "eval",
        "--baseline",
        "reference:slow",
        "--candidate",
        "a=reference:slow",
        "--arena",
        tinyArenaPath(),
        "--quiet",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    evalCli.stderr?.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    const children = await childrenOnceStarted(evalCli.pid as number, 1, 60_000);
    expect(children.length, `no reference server under eval: ${stderr}`).toBeGreaterThan(0);
    expect(evalCli.exitCode).toBeNull();

    await sigkill(evalCli);
    expect(await within(5_000, () => children.every((pid) => !running(pid)))).toBe(true);
  }, 90_000);

  it("exit when the pod worker is killed mid-job", async () => {
    const pod = await startPod(join(dir, "pod-state"));
    pods.push(pod);
    const ref = { kind: "reference", profile: "slow", variant: "none" } as const;
    await new PodClient(pod.url, TOKEN).submit({
      arena: tinyArenaFile,
      seed: "0x5eed",
      baseline: ref,
      candidates: [{ name: "a", spec: ref }],
    });
    const children = await childrenOnceStarted(pod.child.pid as number, 1, 60_000);
    expect(children.length, `no reference server under the pod: ${pod.stderr()}`).toBeGreaterThan(
      0,
    );

    // The worker alone, not its process group: its servers must go by themselves.
    await sigkill(pod.child);
    expect(await within(5_000, () => children.every((pid) => !running(pid)))).toBe(true);
  }, 90_000);
});
