// The validator loop end to end, in this process: the local chain, local pods (processes run the
// miners' images from a catalogue) and the real store, artifact store and chain client.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { devPair, type LocalMiner } from "../../src/app/local-arena.js";
import { openValidatorService } from "../../src/app/validator-service.js";
import { loadArena } from "../../src/arena/load.js";
import { parseCommitmentText } from "../../src/chain/commitment.js";
import { startLocalChain } from "../../src/chain/local/chain.js";
import { createLocalArtifactStore } from "../../src/store/artifacts/index.js";
import { ValidatorStore } from "../../src/store/store.js";
import type { ValidatorEvent } from "../../src/validator/events.js";
import { StaticPods } from "../../src/validator/pods.js";
import { Validator } from "../../src/validator/validator.js";
import { tinyArenaPath } from "../helpers/arenas.js";
import { DIVERGENCE_FAILURE } from "../helpers/gate-failures.js";
import { BUCKET, CREDENTIALS, objectText, s3Client, startS3 } from "../helpers/s3.js";
import { sleep } from "../helpers/sse-server.js";
import {
  BLOCK_MS,
  commitAll,
  NETUID,
  startTestArena,
  TEST_MINERS,
  type TestArena,
  weightsOnChain,
} from "./fixture.js";

const arena = loadArena(tinyArenaPath());
const BASELINE = { kind: "reference", profile: "baseline", variant: "none" } as const;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cacheon-validator-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const byHotkey = (store: ValidatorStore, pair: { address: string }) =>
  store.submissions().filter((s) => s.hotkey === pair.address);

/** A validator on the test arena with fast ticks, writing its events to `events`. */
async function testValidator(
  a: TestArena,
  store: ValidatorStore,
  name: string,
  pods: StaticPods,
  events: ValidatorEvent[],
  o: { maxAttempts: number; podLostMs: number },
): Promise<Validator> {
  return new Validator({
    store,
    artifacts: createLocalArtifactStore(join(dir, `${name}-artifacts`)),
    chain: a.client,
    pods,
    pair: await devPair("//Alice"),
    netuid: NETUID,
    arena: arena as unknown as Record<string, unknown>,
    rules: arena.king,
    baseline: BASELINE,
    batch: 4,
    scanEveryBlocks: 1,
    weightsEveryBlocks: 10,
    pendingRevealsPath: join(dir, `${name}-reveals.json`),
    tickMs: 100,
    podPollMs: 100,
    weightsRetry: { baseMs: 100, maxMs: 1_000 },
    emit: (e) => events.push(e),
    ...o,
  });
}

async function untilIdle(v: Validator, timeoutMs: number): Promise<void> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  await v.run(stop.signal, () => v.idle());
  clearTimeout(timer);
  if (stop.signal.aborted) throw new Error(`the validator was not idle after ${timeoutMs} ms`);
}

describe("validator loop on the local chain and a local pod", () => {
  let a: TestArena;
  afterEach(async () => {
    await a?.close();
  });

  it("commits → eval → crowning → weights on chain, artifacts in S3, metrics, then a second commit and garbage", async () => {
    a = await startTestArena();
    await commitAll(a);
    const s3 = await startS3(join(dir, "s3"));
    const events: ValidatorEvent[] = [];
    const service = await openValidatorService({
      stateDir: join(dir, "e2e"),
      chain: a.client,
      pair: await devPair("//Alice"),
      netuid: NETUID,
      pods: [{ name: "pod", url: a.pod.url, token: a.pod.token }],
      arena,
      arenaValue: arena as unknown as Record<string, unknown>,
      baseline: BASELINE,
      batch: 4,
      maxAttempts: 2,
      scanEveryBlocks: 1,
      weightsEveryBlocks: 10,
      tickMs: 100,
      podPollMs: 100,
      podLostMs: 30_000,
      http: { host: "127.0.0.1", port: 0 },
      env: {
        CACHEON_S3_BUCKET: BUCKET,
        CACHEON_S3_ENDPOINT: s3.endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      },
      onEvent: (e) => events.push(e),
    });
    try {
      await untilIdle(service.validator, 120_000);
      const { store } = service;
      const [bob, charlie, dave, eve] = await Promise.all(
        ["//Bob", "//Charlie", "//Dave", "//Eve"].map(devPair),
      );
      const one = (pair: { address: string }) => {
        const rows = byHotkey(store, pair);
        expect(rows).toHaveLength(1);
        return rows[0] as NonNullable<(typeof rows)[0]>;
      };
      const sBob = one(bob as { address: string });
      expect(sBob).toMatchObject({ status: "evaluated", passed: true, uid: 1 });
      expect(sBob.score).toBeGreaterThan(0);
      expect(one(charlie as { address: string })).toMatchObject({
        status: "evaluated",
        passed: true,
      });
      const sDave = one(dave as { address: string });
      expect(sDave).toMatchObject({ status: "failed", passed: false, score: 0 });
      expect(sDave.reason).toMatch(DIVERGENCE_FAILURE);
      const sEve = one(eve as { address: string });
      expect(sEve).toMatchObject({ status: "rejected" });
      expect(sEve.reason).toMatch(/already submitted by hotkey/);

      // One job for the three admitted ones, settled, its report kept as an artifact.
      const jobs = store.jobs();
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ status: "settled", attempts: 1, kingSubmission: null });
      const report = await service.artifacts.get(jobs[0]?.reportKey as string);
      expect(JSON.parse(Buffer.from(report as Uint8Array).toString()).candidates).toHaveLength(3);
      // … and uploaded to S3, the same bytes.
      expect(service.artifacts.describe()).toMatch(/^s3:\/\/artifacts at /);
      expect(await service.artifacts.flush()).toBe(0);
      expect(await objectText(s3Client(s3.endpoint), jobs[0]?.reportKey as string)).toBe(
        Buffer.from(report as Uint8Array).toString(),
      );

      // The king is Bob's; the history says so; the weights on chain went to his uid last.
      expect(store.king()).toMatchObject({ submissionId: String(sBob.id), uid: 1 });
      expect(store.kingHistory().map((h) => h.type)).toEqual(["crowned"]);
      const onChain = weightsOnChain(a.chain);
      expect(onChain.length).toBeGreaterThanOrEqual(1);
      expect(onChain.at(-1)?.dests).toEqual([1]);
      expect(onChain.length).toBe(store.weightSets().filter((w) => w.status === "set").length);
      const alice = (await a.client.metagraph(NETUID)).neurons.find((n) => n.uid === 0);
      expect(alice?.lastUpdate).toBe(store.lastWeightsBlock());

      // Metrics read the same store.
      const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/^cacheon_validator_queue_depth 0$/m);
      expect(metrics).toMatch(/^cacheon_validator_evals_total\{outcome="settled"\} 1$/m);
      expect(metrics).toMatch(new RegExp(`^cacheon_validator_king_score ${sBob.score}$`, "m"));
      expect(metrics).toMatch(
        new RegExp(`^cacheon_validator_last_weights_block ${store.lastWeightsBlock()}$`, "m"),
      );

      // Bob commits again (ignored: one submission per hotkey) and Eve commits garbage (rejected,
      // and it does not use up her one submission).
      const second = parseCommitmentText(`localhost/bob/engine2@sha256:${"ab".repeat(32)}`);
      if (!second.ok) throw new Error(second.reason);
      await a.client.setCommitment(bob as never, NETUID, second.ref);
      await a.client.submit(
        eve as never,
        a.client.txFn("commitments", "setCommitment")(NETUID, { fields: [{ Raw4: "0xdeadbeef" }] }),
      );
      const before = store.jobs().length;
      const stop = new AbortController();
      const seen = () => store.submissions().length === 6;
      const timer = setTimeout(() => stop.abort(), 30_000);
      await service.validator.run(stop.signal, seen);
      clearTimeout(timer);
      const bobs = byHotkey(store, bob as { address: string });
      expect(bobs.map((s) => s.status)).toEqual(["evaluated", "ignored"]);
      expect(bobs[1]?.reason).toMatch(/only its first submission is evaluated/);
      const eves = byHotkey(store, eve as { address: string });
      expect(eves.map((s) => s.status)).toEqual(["rejected", "rejected"]);
      expect(eves[1]?.reason).toMatch(/^invalid commitment: /);
      expect(store.jobs()).toHaveLength(before);
    } finally {
      await service.close();
      await s3.stop();
    }
  }, 180_000);

  it("skips a pod with a wrong token, retries after a malformed report, and fails an image the pod cannot pull", async () => {
    const unknown: LocalMiner = {
      uri: "//Charlie",
      repository: "localhost/charlie/missing",
      engine: { kind: "reference", profile: "fast" },
    };
    a = await startTestArena(TEST_MINERS.slice(0, 1));
    // Charlie's image is not in the pod's catalogue: the pod cannot "pull" it.
    const { minerImages } = await import("../../src/app/local-arena.js");
    const missing = minerImages([unknown]).refs.get("//Charlie") as string;
    await commitAll(a, TEST_MINERS.slice(0, 1));
    const parsed = parseCommitmentText(missing);
    if (!parsed.ok) throw new Error(parsed.reason);
    await a.client.setCommitment(await devPair("//Charlie"), NETUID, parsed.ref);

    const malformed = await startFakePod();
    const store = ValidatorStore.open(join(dir, "pods.sqlite"));
    const events: ValidatorEvent[] = [];
    const v = await testValidator(
      a,
      store,
      "pods",
      new StaticPods(
        [
          { name: "wrong-token", url: a.pod.url, token: "not-the-token-0123456789" },
          { name: "malformed", url: malformed.url, token: "0123456789abcdef" },
          { name: "good", url: a.pod.url, token: a.pod.token },
        ],
        { restMs: 60_000, maxRestMs: 60_000 },
      ),
      events,
      {
        maxAttempts: 3,
        podLostMs: 30_000,
      },
    );
    try {
      await untilIdle(v, 120_000);
      const broken = events.filter((e) => e.type === "pod-broken").map((e) => e.pod);
      expect(broken).toEqual(["wrong-token", "malformed"]);
      expect(events.find((e) => e.type === "pod-broken" && e.pod === "wrong-token")).toMatchObject({
        reason: expect.stringMatching(/token/i),
      });
      const released = events.filter((e) => e.type === "job-released");
      expect(released.map((e) => e.type === "job-released" && e.reason)).toEqual([
        expect.stringMatching(/token/i),
        expect.stringMatching(/report/),
      ]);
      // The wrong token cost no attempt; the malformed report one; the good pod settled it.
      const [job] = store.jobs();
      expect(job).toMatchObject({ status: "settled", pod: "good", attempts: 2 });
      expect(malformed.submitted).toBe(1);
      const [sBob, sCharlie] = store.submissions();
      expect(sBob).toMatchObject({ status: "evaluated", passed: true });
      expect(sCharlie).toMatchObject({ status: "failed", passed: false });
      expect(sCharlie?.reason).toMatch(/^image: .*not in this pod's image catalogue/);
      expect(store.king()?.submissionId).toBe(String(sBob?.id));
    } finally {
      store.close();
      await malformed.close();
    }
  }, 180_000);

  it("a job whose pod vanishes is retried at most N times, then fails with the reason", async () => {
    a = await startTestArena(TEST_MINERS.slice(0, 1));
    await commitAll(a, TEST_MINERS.slice(0, 1));
    const gone = await startFakePod({ vanish: true });
    const store = ValidatorStore.open(join(dir, "gone.sqlite"));
    const events: ValidatorEvent[] = [];
    const v = await testValidator(
      a,
      store,
      "gone",
      new StaticPods([{ name: "gone", url: gone.url, token: "0123456789abcdef" }], {
        restMs: 50,
        maxRestMs: 50,
      }),
      events,
      {
        maxAttempts: 2,
        podLostMs: 500,
      },
    );
    try {
      await untilIdle(v, 60_000);
      const [job] = store.jobs();
      expect(job?.status).toBe("failed");
      expect(job?.reason).toMatch(
        /^eval job 1 failed 2 times; last: pod gone: no answer for \d+ s/,
      );
      expect(gone.submitted).toBe(2);
      const [s] = store.submissions();
      expect(s).toMatchObject({ status: "failed" });
      expect(s?.reason).toBe(job?.reason);
      expect(store.king()).toBeNull();
      expect(
        events
          .filter((e) => e.type === "job-released")
          .map((e) => e.type === "job-released" && e.final),
      ).toEqual([false, true]);
    } finally {
      store.close();
      await gone.close();
    }
  }, 120_000);
});

describe("validator loop through a chain outage", () => {
  it("keeps ticking while the chain is down, reports it, and finishes once the chain is back", async () => {
    const a = await startTestArena(TEST_MINERS.slice(0, 1));
    const store = ValidatorStore.open(join(dir, "outage.sqlite"));
    const events: ValidatorEvent[] = [];
    try {
      await commitAll(a, TEST_MINERS.slice(0, 1));
      const v = await testValidator(
        a,
        store,
        "outage",
        new StaticPods([{ name: "pod", url: a.pod.url, token: a.pod.token }]),
        events,
        { maxAttempts: 2, podLostMs: 30_000 },
      );
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), 150_000);
      const running = v.run(stop.signal, () => v.idle());
      // Take the chain away as soon as the job is on the pod, and bring it back (same blocks and
      // state, same port: a node restart) once the validator has reported it: its next chain call
      // fails within the client's 3 s deadline, or 15 s when a weights extrinsic's watch was cut.
      while (!events.some((e) => e.type === "job-submitted")) await sleep(50);
      const state = a.chain.snapshot();
      const port = a.chain.port;
      await a.chain.close();
      const chainErrors = () => events.filter((e) => e.type === "error" && e.where === "chain");
      const deadline = Date.now() + 40_000;
      while (chainErrors().length === 0 && Date.now() < deadline) await sleep(100);
      const errorsWhileDown = chainErrors().length;
      a.chain = await startLocalChain({ port, state, blockTimeMs: BLOCK_MS });
      await running;
      clearTimeout(timer);
      expect(stop.signal.aborted).toBe(false);
      expect(errorsWhileDown).toBeGreaterThan(0);
      expect(store.jobs()).toMatchObject([{ status: "settled", attempts: 1 }]);
      expect(store.king()?.uid).toBe(1);
      expect(weightsOnChain(a.chain).at(-1)?.dests).toEqual([1]);
    } finally {
      store.close();
      await a.close();
    }
  }, 180_000);
});

/**
 * A pod that speaks the API but misbehaves: it accepts jobs, then answers "done" with a report that
 * is not an EvalReport, or (vanish) stops answering once a job is in.
 */
async function startFakePod(o: { vanish?: boolean } = {}): Promise<{
  url: string;
  submitted: number;
  close(): Promise<void>;
}> {
  const state = { submitted: 0 };
  const server: Server = createServer((req, res) => {
    const json = (code: number, body: unknown) =>
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (o.vanish && state.submitted > 0 && req.url !== "/v1/jobs") {
      req.socket.destroy();
      return;
    }
    if (req.method === "GET" && req.url === "/v1/jobs") return json(200, { jobs: [] });
    if (req.method === "POST" && req.url === "/v1/jobs") {
      state.submitted++;
      req.resume();
      return json(201, { id: `fake-${state.submitted}` });
    }
    const m = /^\/v1\/jobs\/([^/]+)(\/report)?$/.exec(req.url ?? "");
    if (m?.[2]) return json(200, { schema: "not-a-report" });
    if (m)
      return json(200, {
        id: m[1],
        status: "done",
        request: {
          arena: "local",
          seed: "0x01",
          candidates: [{ name: "x", spec: { kind: "reference", profile: "fast" } }],
        },
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        servers: [],
      });
    json(404, { error: "not found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get submitted() {
      return state.submitted;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
