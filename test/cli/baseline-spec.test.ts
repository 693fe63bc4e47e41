// The baseline from the command line: the arena's pinned image runs with the arena's pinned
// arguments (as a pod runs it); any other image, URL or reference server is taken as given.
import { describe, expect, test } from "vitest";
import { arenaPreset } from "../../src/arena/load.js";
import { baselineSpec } from "../../src/cli/options.js";

describe("baselineSpec", () => {
  const arena = arenaPreset("v1");

  test("the arena's pinned image gets the pinned args", () => {
    expect(baselineSpec(`docker://${arena.baseline.image}`, arena)).toEqual({
      kind: "image",
      image: arena.baseline.image,
      args: arena.baseline.args,
    });
    expect(arena.baseline.args).toContain("--tensor-parallel-size");
  });

  test("another image runs its own command; URLs and reference servers are unchanged", () => {
    const other = `ghcr.io/acme/vllm@sha256:${"a".repeat(64)}`;
    expect(baselineSpec(`docker://${other}`, arena)).toEqual({
      kind: "image",
      image: other,
      args: [],
    });
    expect(baselineSpec("http://127.0.0.1:8001", arena)).toEqual({
      kind: "url",
      url: "http://127.0.0.1:8001",
    });
    expect(baselineSpec("reference:fast", arena)).toMatchObject({ kind: "reference" });
  });
});
