// `cacheon demo --docker` as a user runs it: the miners' images built from this checkout, pushed to
// a loopback registry the demo starts, committed by digest, pulled and run as containers by the
// pod's Docker runtime; the story ends as the process demo's does. Afterwards (at the end, and on
// Ctrl-C mid-job) nothing is left: no container or network of its pod, no registry process, no
// image, nothing in its temp folder.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { cliEntry } from "../../src/entry.js";
import { tinyArenaFile } from "../helpers/arenas.js";
import { closedPort } from "../helpers/ports.js";
import { docker, podContainers, podNetworks, SKIP } from "./fixture.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-docker-demo-"));
const arena = join(dir, "tiny.json");
// A container loads the vocabulary before it answers: more than the tiny arena's 5 s at times.
writeFileSync(arena, JSON.stringify({ ...tinyArenaFile, startupTimeoutMs: 60_000 }));

interface Demo {
  child: ChildProcess;
  /** The demo's own temp folder (its TMPDIR): everything it makes there must go. */
  tmp: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function startDemo(name: string, env: NodeJS.ProcessEnv = {}): Demo {
  const tmpDir = mkdtempSync(join(dir, `${name}-tmp-`));
  chmodSync(tmpDir, 0o755);
  const child = spawn(process.execPath, [cliEntry(), "demo", "--docker", "--arena", arena], {
    env: { ...process.env, TMPDIR: tmpDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, tmp: tmpDir, stdout: () => stdout, stderr: () => stderr, exit };
}

async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Processes whose command line names `path` (the registry's config lives in the demo's TMPDIR). */
function processesNaming(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc"))
    if (/^\d+$/.test(entry))
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(path)) pids.push(Number(entry));
      } catch {
        // Gone meanwhile.
      }
  return pids;
}

function refuses(host: string): Promise<boolean> {
  const [address, port] = host.split(":") as [string, string];
  return new Promise((resolve) => {
    const socket = connect(Number(port), address);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** What a finished demo must have left: nothing of its pod, registry, images or temp files. */
async function expectNothingLeft(demo: Demo, podId: string, registry: string): Promise<void> {
  expect(await podContainers(podId)).toEqual([]);
  expect(await podNetworks(podId)).toEqual([]);
  expect(processesNaming(demo.tmp)).toEqual([]);
  expect(await refuses(registry)).toBe(true);
  const names = (await docker.listImages()).flatMap((i) => [
    ...(i.RepoTags ?? []),
    ...(i.RepoDigests ?? []),
  ]);
  expect(
    names.filter((n) => n.startsWith(`${registry}/`) || n.startsWith("cacheon-demo/")),
  ).toEqual([]);
  expect(readdirSync(demo.tmp)).toEqual([]);
}

const podIdOf = (stdout: string) => /\(pod id (demo-\d+):/.exec(stdout)?.[1] ?? "";
const registryOf = (stdout: string) => /^Registry: (127\.0\.0\.1:\d+) /m.exec(stdout)?.[1] ?? "";

describe.skipIf(SKIP)("cacheon demo --docker", () => {
  test("the miners' images are pushed, committed by digest and run as containers; the copy is rejected, Bob is king, weights on chain; nothing is left", async () => {
    const demo = startDemo("full");
    const code = await demo.exit;
    const out = demo.stdout();
    expect(code, `${out}\n${demo.stderr()}`).toBe(0);
    const podId = podIdOf(out);
    const registry = registryOf(out);
    expect(podId).toBe(`demo-${demo.child.pid}`);
    expect(registry).not.toBe("");
    expect(demo.stderr()).toMatch(/^building the miners' images …$/m);
    expect(demo.stderr()).toMatch(/^built and pushed in \d+\.\d s$/m);
    // Committed as pulled: each repository on the demo's registry, by the digest the push made.
    const bob = new RegExp(`^ {2}Bob +${registry}/bob/fast-engine@sha256:(\\w{12})… at block`, "m");
    const bobDigest = bob.exec(out)?.[1];
    expect(bobDigest).toBeDefined();
    expect(out).toMatch(
      new RegExp(
        `^ {2}Eve +${registry}/eve/copied-engine@sha256:${bobDigest}… at block \\d+ {2}\\(a copy of Bob's image\\)$`,
        "m",
      ),
    );
    expect(out).toMatch(
      /s4 \(uid 4, .*\) commitment at block \d+ rejected: image sha256:\w+ was already submitted/,
    );
    // The pod really pulled them.
    expect(demo.stderr()).toMatch(new RegExp(`s1: pulling ${registry}/bob/fast-engine@sha256:`));
    expect(out).toMatch(/s1 is crowned with score 0\.\d{4}/);
    // Measured when its first mismatch came in a timed phase (the teacher judges it after the
    // session); not when the gate pass's top lists caught it on the spot.
    expect(out).toMatch(/^ {2}s3 +3 +\S+ +FAIL +(- +-|[\d.]+ +\d+) +0\.0000$/m);
    // Charlie's engine forks at near-ties: the teacher passes it.
    expect(out).toMatch(/^ {2}s2 +2 +\S+ +pass +[\d.]+ +\d+ +0\.0000$/m);
    expect(out).toMatch(/^Why s2 passed though its answers differ from the baseline's:$/m);
    expect(out).toMatch(/^ {2}s4 +4 +\S+ +rejected +- +- +-$/m);
    expect(out).toMatch(/^King: s1 \(uid 1\)/m);
    // Commit-reveal v4: revealed by the chain from //Alice's timelocked commit, after it.
    const onChain =
      /^Weights on chain: uid 1 gets everything \(set at block (\d+) by the chain's reveal of \/\/Alice's timelocked commit of block (\d+), drand round \d+; \/\/Alice's last update on chain: block (\d+)\)/m.exec(
        out,
      );
    expect(onChain, out).not.toBeNull();
    const [revealed, committed, lastUpdate] = (onChain ?? []).slice(1).map(Number) as number[];
    expect(revealed).toBeGreaterThan(committed as number);
    expect(lastUpdate).toBeGreaterThanOrEqual(committed as number);
    expect(out).toMatch(/Why s3 failed the gate:\n.*FAIL \((divergence|premature_stop)\)/);
    await expectNothingLeft(demo, podId, registry);
  }, 300_000);

  test("Ctrl-C while a miner's container runs: exit 130, and its containers, network, registry, images and temp files are gone", async () => {
    const demo = startDemo("interrupted");
    let podId = "";
    await until(
      "a miner's container",
      async () => {
        if (demo.child.exitCode !== null) throw new Error(`the demo exited: ${demo.stdout()}`);
        podId = podIdOf(demo.stdout());
        return podId !== "" && (await podContainers(podId)).length > 0;
      },
      200_000,
    );
    const registry = registryOf(demo.stdout());
    expect(processesNaming(demo.tmp)).not.toEqual([]);
    expect(await podNetworks(podId)).not.toEqual([]);
    demo.child.kill("SIGINT");
    expect(await demo.exit).toBe(130);
    await expectNothingLeft(demo, podId, registry);
  }, 300_000);

  test("no Docker engine answering: one line saying so, exit 2, nothing left", async () => {
    const demo = startDemo("no-engine", { DOCKER_HOST: `tcp://127.0.0.1:${await closedPort()}` });
    expect(await demo.exit).toBe(2);
    expect(demo.stderr()).toMatch(
      /^cacheon: demo --docker needs a running Docker engine: .*Cannot connect to the Docker daemon at tcp:\/\/127\.0\.0\.1:\d+\b.*$/m,
    );
    expect(demo.stderr().match(/^cacheon: /gm)).toHaveLength(1);
    expect(demo.stdout()).not.toMatch(/^Registry:/m);
    expect(readdirSync(demo.tmp)).toEqual([]);
  }, 60_000);
});
