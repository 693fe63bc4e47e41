// Readers for the deploy files the tests check offline: the compose files with compose's own
// variable rules, .env.example, and the Dockerfile's instructions by stage.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/** The KEY=value lines of .env.example (comments and blank lines skipped). */
export function envExample(): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of readRepoFile(".env.example").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) env.set(m[1], m[2] ?? "");
  }
  return env;
}

const VARIABLE = /\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** Every variable a compose file reads, with whether it has a default. */
export function composeVariables(text: string): { name: string; hasDefault: boolean }[] {
  return [...text.matchAll(VARIABLE)].map((m) => ({
    name: m[1] ?? "",
    hasDefault: (m[2] ?? "").endsWith("-"),
  }));
}

/** Compose's interpolation: ${V}, ${V:-default}, ${V-default}, ${V:?error}, ${V?error}. */
export function interpolate(value: string, env: ReadonlyMap<string, string>): string {
  return value.replace(VARIABLE, (_all, name: string, op: string | undefined, arg: string) => {
    const v = env.get(name);
    const unset = op?.startsWith(":") ? !v : v === undefined;
    if (!unset) return v ?? "";
    if (op?.endsWith("-")) return arg;
    if (op?.endsWith("?")) throw new Error(`${name}: ${arg}`);
    return "";
  });
}

/** A compose file parsed, every string interpolated with `env`. */
export function readCompose(path: string, env: ReadonlyMap<string, string>): Compose {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return interpolate(v, env);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(parse(readRepoFile(path))) as Compose;
}

export interface Mount {
  type: string;
  source: string;
  target: string;
  read_only?: boolean;
}

export interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command: string[];
  env_file?: string;
  environment?: Record<string, string>;
  volumes?: Mount[];
  secrets?: string[];
  network_mode?: string;
  ports?: unknown;
  deploy?: unknown;
  user?: string;
  cap_add?: string[];
  init?: boolean;
  restart?: string;
  healthcheck?: { test: string[] };
}

export interface Compose {
  name: string;
  services: Record<string, Service>;
  secrets?: Record<string, { file: string }>;
  volumes?: Record<string, unknown>;
}

/** The value after `flag` in a command, or undefined. */
export function flag(command: readonly string[], name: string): string | undefined {
  const i = command.indexOf(name);
  return i < 0 ? undefined : command[i + 1];
}

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  instructions: Instruction[];
}

/** The Dockerfile's instructions: the ARGs before the first FROM, then each stage's. */
export function parseDockerfile(text: string): { globalArgs: string[]; stages: Stage[] } {
  const joined = text
    .split("\n")
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ");
  const globalArgs: string[] = [];
  const stages: Stage[] = [];
  for (const line of joined.split("\n")) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    const stage = stages.at(-1);
    if (op === "FROM") stages.push({ from: args, instructions: [] });
    else if (stage) stage.instructions.push({ op, args });
    else if (op === "ARG") globalArgs.push(args);
  }
  return { globalArgs, stages };
}

/** The sources of the COPY instructions of a stage that copy from the build context. */
export function contextCopies(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => i.op === "COPY" && !i.args.includes("--from="))
    .flatMap((i) =>
      i.args
        .split(/\s+/)
        .filter((w) => !w.startsWith("--"))
        .slice(0, -1),
    );
}
