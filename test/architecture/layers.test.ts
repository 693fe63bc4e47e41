// DESIGN §3's layer order, checked on the source: an upward import or an import cycle (between
// files or between folders) fails with the files named. The checker is tested on planted imports.
import { describe, expect, it } from "vitest";
import { LAYERS, layerViolations, readSources } from "./layers.js";

const sources = readSources(process.cwd());

describe("the layer order", () => {
  it("holds for every import in src/", () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  it("gives every folder of src/ a layer", () => {
    const folders = new Set([...sources.keys()].map((f) => f.split("/")[1]));
    const placed = new Set(LAYERS.flat());
    for (const f of folders) if (!f?.endsWith(".ts")) expect(placed, f).toContain(f);
  });

  it("fails on a planted upward import, naming both files", () => {
    const planted = new Map(sources);
    planted.set("src/score/planted.ts", 'import { x } from "../cli/main.js";\n');
    expect(layerViolations(planted)).toContain(
      "src/score/planted.ts imports src/cli/main.ts: cli/ (layer 5) is above score/ (layer 0)",
    );
  });

  it("fails on a planted cycle between files and between folders", () => {
    const planted = new Map(sources);
    planted.set("src/harness/a.ts", 'export { b } from "../arena/b.js";\n');
    planted.set("src/arena/b.ts", 'import type { a } from "../harness/a.js";\n');
    const found = layerViolations(planted);
    expect(found).toContain("import cycle between files: src/arena/b.ts, src/harness/a.ts");
    const folders = found.find((p) => p.startsWith("import cycle between folders "));
    expect(folders).toMatch(/^import cycle between folders arena, harness: /);
    expect(folders).toContain("src/harness/a.ts imports src/arena/b.ts");
  });

  it("sees dynamic imports and re-exports", () => {
    const planted = new Map(sources);
    planted.set("src/gate/dyn.ts", 'const m = await import("../web/server.js");\n');
    planted.set("src/gate/re.ts", 'export * from "../pod/client.js";\n');
    const found = layerViolations(planted);
    expect(found.some((p) => p.startsWith("src/gate/dyn.ts imports src/web/server.ts"))).toBe(true);
    expect(found.some((p) => p.startsWith("src/gate/re.ts imports src/pod/client.ts"))).toBe(true);
  });
});
