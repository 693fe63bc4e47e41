// docker/Dockerfile against the build it packages: the CLI path, what the code needs at run time,
// the pinned base, the unprivileged user, and the build context .dockerignore leaves.
import { describe, expect, it } from "vitest";
import {
  contextCopies,
  envExample,
  flag,
  parseDockerfile,
  readCompose,
  readRepoFile,
  type Stage,
} from "./files.js";

const { globalArgs, stages } = parseDockerfile(readRepoFile("docker/Dockerfile"));
const pkg = JSON.parse(readRepoFile("package.json")) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};
const build = stages[0] as Stage;
const runtime = stages.at(-1) as Stage;

function args(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

describe("docker/Dockerfile", () => {
  it("builds in one stage and runs from another, both on the digest-pinned base", () => {
    expect(stages).toHaveLength(2);
    expect(globalArgs).toHaveLength(1);
    expect(globalArgs[0]).toMatch(/^NODE_IMAGE=node:20-bookworm-slim@sha256:[0-9a-f]{64}$/);
    for (const stage of stages) expect(stage.from.split(/\s+/)[0]).toBe(`\${NODE_IMAGE}`);
  });

  it("starts the CLI that the build writes and package.json names", () => {
    // tsc keeps the path under rootDir inside outDir: src/cli/main.ts becomes <outDir>/src/cli/main.js.
    const tsconfig = JSON.parse(readRepoFile("tsconfig.build.json")) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(tsconfig.compilerOptions.rootDir).toBe(".");
    const built = `${tsconfig.compilerOptions.outDir}/src/cli/main.js`;
    expect(pkg.bin.cacheon).toBe(built);
    expect(pkg.scripts.build).toContain(`'${built}'`);
    const entrypoint = JSON.parse(args(runtime, "ENTRYPOINT")[0] ?? "null") as unknown;
    expect(entrypoint).toEqual(["node", `/app/${built}`]);
    expect(args(runtime, "WORKDIR")).toEqual(["/app"]);
  });

  it("compiles every folder the build's tsconfig includes, with the tsconfig it extends", () => {
    const tsconfig = JSON.parse(readRepoFile("tsconfig.build.json")) as {
      extends: string;
      include: string[];
    };
    const copied = contextCopies(build);
    for (const dir of tsconfig.include) expect(copied).toContain(dir);
    expect(copied).toContain("tsconfig.build.json");
    expect(copied).toContain(tsconfig.extends.replace(/^\.\//, ""));
    expect(args(build, "RUN").join("\n")).toContain("npm run build");
  });

  it("installs without the root's scripts wherever package.json has a prepare script", () => {
    // `npm ci` runs `prepare` (the build) before the sources are copied in.
    expect(pkg.scripts.prepare).toBeDefined();
    const installs = stages.flatMap((s) => args(s, "RUN")).filter((r) => r.includes("npm ci"));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) expect(run).toContain("--ignore-scripts");
  });

  it("ships what the code reads at run time: package.json (its root), data/, dist/, production node_modules", () => {
    const copies = args(runtime, "COPY").join("\n");
    expect(copies).toMatch(/--from=build \/app\/package\.json/);
    expect(copies).toMatch(/--from=build \/app\/node_modules /);
    expect(copies).toMatch(/--from=build \/app\/dist /);
    expect(contextCopies(runtime)).toContain("data");
    expect(args(build, "RUN").join("\n")).toContain("npm prune --omit=dev");
  });

  it("has iptables for the pod's host firewall rules", () => {
    expect(args(runtime, "RUN").join("\n")).toMatch(/apt-get install .*\biptables\b/);
  });

  it("runs as the base image's unprivileged user", () => {
    const users = args(runtime, "USER");
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    // The USER comes after every RUN, which needs root for the state dirs' chown.
    const ops = runtime.instructions.map((i) => i.op);
    expect(ops.lastIndexOf("RUN")).toBeLessThan(ops.indexOf("USER"));
  });

  it("makes the state dirs the compose files mount, owned by that user", () => {
    const env = envExample();
    const run = args(runtime, "RUN").join("\n");
    const user = args(runtime, "USER")[0] ?? "";
    for (const [file, service] of [
      ["docker-compose.yml", "validator"],
      ["docker-compose.gpu.yml", "pod"],
    ] as const) {
      const command = readCompose(file, env).services[service]?.command ?? [];
      const state = flag(command, "--state-dir") ?? "";
      expect(run).toMatch(new RegExp(`mkdir -p [^\\n]*${state}(\\s|$)`));
      expect(run).toMatch(new RegExp(`chown ${user}:${user} [^\\n]*${state}(\\s|$)`));
    }
  });
});

describe(".dockerignore", () => {
  const ignored = readRepoFile(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("keeps every path the Dockerfile copies from the context", () => {
    for (const source of stages.flatMap(contextCopies)) expect(ignored).not.toContain(source);
  });

  it("keeps secrets, local builds and node_modules out of the context", () => {
    for (const path of [".env", "secrets", "node_modules", "dist", ".git"])
      expect(ignored).toContain(path);
  });
});
