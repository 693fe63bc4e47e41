// Loading an arena: a preset by name, or a JSON file that may extend a preset with a partial
// override (`"extends": "v1"`). Objects merge deeply; arrays and scalars replace (so a file that
// changes one phase lists all phases). Every error is one line naming each invalid field.
import { formatZodIssues, readJsonFile } from "../contract/json-file.js";
import { type Arena, ArenaError, ArenaSchema } from "./config.js";
import { ARENA_PRESETS, type ArenaPresetName } from "./presets.js";

const PRESET_NAMES = Object.keys(ARENA_PRESETS) as ArenaPresetName[];

function isPreset(name: string): name is ArenaPresetName {
  return Object.hasOwn(ARENA_PRESETS, name);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `override` laid over `base`: objects merge key by key, anything else replaces. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  // defineProperty: a "__proto__" key from JSON stays a plain (and then unknown, so refused) field.
  for (const [k, v] of Object.entries(override))
    Object.defineProperty(out, k, {
      value: Object.hasOwn(base, k) ? deepMerge(base[k], v) : v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** Validates a parsed arena value; throws ArenaError naming each bad field. */
export function parseArena(value: unknown, source = "arena"): Arena {
  const r = ArenaSchema.safeParse(value);
  if (!r.success) throw new ArenaError(`${source} is invalid: ${formatZodIssues(r.error)}`);
  return r.data;
}

/** A preset's arena. */
export function arenaPreset(name: ArenaPresetName): Arena {
  return parseArena(ARENA_PRESETS[name], `arena preset ${name}`);
}

/**
 * A JSON arena value: a whole arena, or with `"extends": "<preset>"` a partial override of that
 * preset. Gives the input to validate (and the preset it extends), or why `extends` is wrong.
 */
export function expandExtends(
  json: Record<string, unknown>,
): { input: unknown; base?: ArenaPresetName } | { error: string } {
  const { extends: base, ...rest } = json;
  if (base === undefined) return { input: rest };
  if (typeof base !== "string" || !isPreset(base))
    return { error: `must be one of ${PRESET_NAMES.join(", ")}, got ${JSON.stringify(base)}` };
  return { input: deepMerge(ARENA_PRESETS[base], rest), base };
}

/**
 * "v1" | "local" | the path of a JSON file. A file is a whole arena, or with `"extends": "<preset>"`
 * a partial override of that preset.
 */
export function loadArena(nameOrPath: string): Arena {
  if (isPreset(nameOrPath)) return arenaPreset(nameOrPath);
  if (!/[/\\]|\.json$/i.test(nameOrPath))
    throw new ArenaError(
      `unknown arena preset "${nameOrPath}" (presets: ${PRESET_NAMES.join(", ")}; or give the path of a JSON file)`,
    );
  const source = `arena file ${nameOrPath}`;
  const json = readJsonFile(nameOrPath, "arena file", (m) => new ArenaError(m));
  if (!isPlainObject(json))
    throw new ArenaError(`${source} is invalid: <root>: expected an object`);
  const expanded = expandExtends(json);
  if ("error" in expanded) throw new ArenaError(`${source} is invalid: extends: ${expanded.error}`);
  return parseArena(
    expanded.input,
    expanded.base ? `${source} (extends ${expanded.base})` : source,
  );
}
