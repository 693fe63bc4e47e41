// The layer order of DESIGN §3, as data, and the checker the layer test runs: every relative import
// in src/ goes to its own layer or below, and neither files nor folders import each other in a
// cycle. A violation names the two files.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

/** From the bottom. A module imports only from its own layer or below. */
export const LAYERS: readonly (readonly string[])[] = [
  // pure rules and the contract's types and parsers (src/*.ts at the root live here too)
  [".", "contract", "score", "gate"],
  // I/O building blocks; the arena config sits here because it is built from the harness's
  // workload and the gate's thresholds, and the runtime reads it; the reference server too,
  // because the runtime runs it as a local engine and the pod's job schema names its profiles
  ["harness", "arena", "runtime", "chain", "store", "reference"],
  // the session, and the conformance probes (both run servers through the harness)
  ["eval", "probes"],
  // services
  ["pod", "validator", "web"],
  // composition: the validator service, the local arena, the demo
  ["app"],
  // thin command entry points
  ["cli"],
];

/** `src/a/b.ts` → "a"; `src/x.ts` → ".". */
export function folderOf(file: string): string {
  const parts = file.split("/");
  return parts.length > 2 ? (parts[1] as string) : ".";
}

/** The folder's layer, from 0 at the bottom; -1 for a folder the order does not place. */
export function layerOf(folder: string): number {
  return LAYERS.findIndex((l) => l.includes(folder));
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Relative imports of one source file, as repository paths of .ts files. */
export function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec?.startsWith(".")) continue;
    out.push(normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"));
  }
  return out;
}

/** Every .ts file under `dir` (repository-relative paths), with its source. */
export function readSources(root: string, dir = "src"): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(join(root, d), { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) files.set(path, readFileSync(join(root, path), "utf8"));
    }
  };
  walk(dir);
  return files;
}

/** Strongly connected components with more than one node (or a self-loop) of a directed graph. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) found.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return found;
}

/** What breaks the layer order: one line per violation, naming the files. Empty when none. */
export function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const fileGraph = new Map<string, Set<string>>();
  const folderEdges = new Map<string, Map<string, [string, string]>>();
  for (const [file, source] of files) {
    const from = folderOf(file);
    const fromLayer = layerOf(from);
    if (fromLayer < 0) problems.push(`${file}: folder ${from} has no layer in the order`);
    const targets = new Set<string>();
    for (const target of importsOf(file, source)) {
      if (!target.startsWith("src/")) continue;
      targets.add(target);
      const to = folderOf(target);
      const toLayer = layerOf(to);
      if (fromLayer >= 0 && toLayer > fromLayer)
        problems.push(
          `${file} imports ${target}: ${to}/ (layer ${toLayer}) is above ${from}/ (layer ${fromLayer})`,
        );
      if (to !== from) {
        const edges = folderEdges.get(from) ?? new Map<string, [string, string]>();
        if (!edges.has(to)) edges.set(to, [file, target]);
        folderEdges.set(from, edges);
      }
    }
    fileGraph.set(file, targets);
  }
  for (const scc of cycles(fileGraph))
    problems.push(`import cycle between files: ${scc.join(", ")}`);
  const folderGraph = new Map([...folderEdges].map(([k, v]) => [k, new Set(v.keys())]));
  for (const scc of cycles(folderGraph)) {
    const witnesses = scc.flatMap((a) =>
      scc.flatMap((b) => {
        const edge = folderEdges.get(a)?.get(b);
        return edge ? [`${edge[0]} imports ${edge[1]}`] : [];
      }),
    );
    problems.push(`import cycle between folders ${scc.join(", ")}: ${witnesses.join("; ")}`);
  }
  return problems;
}
