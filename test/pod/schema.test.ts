// The pod's pure rules: job request bodies, the servers' states from events, the token and the GPU
// list option.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arenaPreset } from "../../src/arena/index.js";
import { formatZodIssues } from "../../src/contract/json-file.js";
import { bearerMatches, checkToken, MIN_TOKEN_LENGTH } from "../../src/pod/auth.js";
import { applyEvent, interruptedServers, pendingServers } from "../../src/pod/jobs.js";
import {
  type JobRequest,
  JobRequestSchema,
  type JobServer,
  jobSession,
  type PodEvent,
} from "../../src/pod/schema.js";
import { parseGpus } from "../../src/runtime/docker/container-config.js";
import { tinyArena, tinyArenaFile } from "../helpers/arenas.js";

const ref = { kind: "reference", profile: "instant" } as const;
const valid = {
  arena: "local",
  seed: "0xabc",
  baseline: ref,
  candidates: [{ name: "a", spec: ref }],
};

/** The one-line error a 400 carries for this body, or null when it parses. */
function problem(body: unknown): string | null {
  const r = JobRequestSchema.safeParse(body);
  return r.success ? null : formatZodIssues(r.error);
}

describe("job request bodies", () => {
  it("accepts a preset, an arena object extending one, and a whole arena as a report has it", () => {
    expect(problem(valid)).toBeNull();
    expect(problem({ ...valid, arena: tinyArenaFile })).toBeNull();
    expect(problem({ ...valid, arena: JSON.parse(JSON.stringify(tinyArena())) })).toBeNull();
    const s = jobSession(JobRequestSchema.parse({ ...valid, arena: tinyArenaFile }));
    expect(s.arena).toEqual(tinyArena());
    expect(s.seed).toBe("0xabc");
  });

  it("names the field of every bad body", () => {
    const cases: [unknown, RegExp][] = [
      [{ ...valid, seed: "xyz" }, /^seed: must be 1-64 hex digits/],
      [{ ...valid, arena: "v2" }, /^arena: /],
      [{ ...valid, arena: { extends: "v9" } }, /^arena\.extends: must be one of v1, local/],
      [
        {
          ...valid,
          arena: { ...tinyArenaFile, workload: { ...tinyArenaFile.workload, trials: 0 } },
        },
        /^arena\.workload\.trials: /,
      ],
      [{ ...valid, candidates: [] }, /^candidates: /],
      [
        { ...valid, candidates: [{ name: "baseline", spec: ref }] },
        /candidates\.0\.name: must not be "baseline"/,
      ],
      [{ ...valid, candidates: [{ name: "a b", spec: ref }] }, /candidates\.0\.name: must be 1-40/],
      [
        {
          ...valid,
          candidates: [
            { name: "a", spec: ref },
            { name: "a", spec: ref },
          ],
        },
        /candidates\.1\.name: a is given twice/,
      ],
      [
        {
          ...valid,
          candidates: Array.from({ length: 17 }, (_, i) => ({ name: `c${i}`, spec: ref })),
        },
        /^candidates: /,
      ],
      [{ ...valid, king: "zed" }, /^king: is not one of the candidates/],
      [
        { ...valid, baseline: { kind: "url", url: "http://127.0.0.1:8000" } },
        /^baseline: a pod runs its servers itself: url servers are refused/,
      ],
      [
        { ...valid, candidates: [{ name: "a", spec: { kind: "url", url: "http://10.0.0.1" } }] },
        /^candidates\.0\.spec: a pod runs its servers itself/,
      ],
      [
        { ...valid, baseline: { kind: "reference", profile: "/etc/passwd" } },
        /^baseline\.profile: a pod takes the named profiles only/,
      ],
      [
        { ...valid, baseline: { kind: "image", image: "vllm/vllm-openai:latest" } },
        /^baseline\.image: /,
      ],
      [{ ...valid, extra: 1 }, /extra/],
    ];
    for (const [body, want] of cases) expect(problem(body)).toMatch(want);
  });

  it("runs the arena's pinned baseline image with its arguments when the body names none", () => {
    const { baseline: _, ...noBaseline } = valid;
    const s = jobSession(JobRequestSchema.parse({ ...noBaseline, arena: "v1" }));
    const v1 = arenaPreset("v1");
    expect(s.baseline).toEqual({
      name: "baseline",
      spec: { kind: "image", image: v1.baseline.image, args: v1.baseline.args },
    });
  });
});

const names = ["baseline", "a", "b", "c"];
const request = JobRequestSchema.parse({
  ...valid,
  candidates: names.slice(1).map((name) => ({ name, spec: ref })),
}) as JobRequest;
const serverEvent = fc.oneof(
  fc.record({
    type: fc.constant("server-start" as const),
    server: fc.constantFrom(...names),
    role: fc.constant("candidate" as const),
    spec: fc.constant({ ...ref, variant: "none" as const }),
  }),
  fc.record({
    type: fc.constant("server-end" as const),
    server: fc.constantFrom(...names),
    failure: fc.option(
      fc.record({
        stage: fc.constant("gate"),
        kind: fc.constant("request_failed" as const),
        message: fc.string(),
      }),
    ),
    measuredMs: fc.nat(),
  }),
  fc.record({
    type: fc.constant("status" as const),
    server: fc.constantFrom(...names),
    line: fc.string(),
  }),
);

describe("the servers' states from a job's events", () => {
  it("each server is in the state its own last start or end left it, in request order", () => {
    fc.assert(
      fc.property(fc.array(serverEvent as fc.Arbitrary<PodEvent>, { maxLength: 30 }), (events) => {
        const servers = events.reduce(applyEvent, pendingServers(request));
        expect(servers.map((s) => s.name)).toEqual(names);
        for (const s of servers) {
          const last = events.findLast(
            (e) => (e.type === "server-start" || e.type === "server-end") && e.server === s.name,
          );
          const want: JobServer =
            last === undefined
              ? { name: s.name, state: "pending" }
              : last.type === "server-start"
                ? { name: s.name, state: "running" }
                : last.type === "server-end" && last.failure
                  ? { name: s.name, state: "failed", failure: last.failure }
                  : { name: s.name, state: "done" };
          expect(s).toEqual(want);
        }
      }),
    );
  });

  it("an interrupted job has no server left running, and keeps every other state", () => {
    fc.assert(
      fc.property(fc.array(serverEvent as fc.Arbitrary<PodEvent>, { maxLength: 30 }), (events) => {
        const before = events.reduce(applyEvent, pendingServers(request));
        const after = interruptedServers(before);
        after.forEach((s, i) => {
          const was = before[i] as JobServer;
          expect(s.state).toBe(was.state === "running" ? "interrupted" : was.state);
        });
      }),
    );
  });
});

describe("the token", () => {
  it("refuses an empty or short token in one line naming where it came from", () => {
    expect(() => checkToken(" \n", "CACHEON_POD_TOKEN")).toThrow(/^CACHEON_POD_TOKEN is empty$/);
    expect(() => checkToken("x".repeat(MIN_TOKEN_LENGTH - 1), "--token-file t")).toThrow(
      /--token-file t holds a token of 15 characters: use at least 16/,
    );
    expect(checkToken(`${"k".repeat(32)}\n`, "f")).toBe("k".repeat(32));
  });

  it("matches exactly `Bearer <token>` and nothing else", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/);
    fc.assert(
      fc.property(token, fc.string(), (t, other) => {
        expect(bearerMatches(t, `Bearer ${t}`)).toBe(true);
        expect(bearerMatches(t, `bearer ${t}`)).toBe(true);
        expect(bearerMatches(t, undefined)).toBe(false);
        expect(bearerMatches(t, t)).toBe(false);
        expect(bearerMatches(t, `Bearer ${t}x`)).toBe(false);
        expect(bearerMatches(t, "Bearer ")).toBe(false);
        if (other !== t) expect(bearerMatches(t, `Bearer ${other}`)).toBe(false);
      }),
    );
  });
});

describe("--gpus", () => {
  it("takes all, none, or distinct indices, and refuses anything else", () => {
    expect(parseGpus("all")).toBe("all");
    expect(parseGpus("none")).toBe("none");
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(255), { minLength: 1, maxLength: 8 }), (ids) => {
        expect(parseGpus(ids.join(","))).toEqual(ids);
        expect(() => parseGpus([...ids, ids[0]].join(","))).toThrow(/names a GPU twice/);
      }),
    );
    for (const bad of ["", "0,", "a", "0;1", "-1", "1.5", "All"])
      expect(() => parseGpus(bad)).toThrow(/must be all, none or GPU indices/);
  });
});
