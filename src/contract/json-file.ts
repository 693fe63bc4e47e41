// JSON files a user names (a workload, an arena, a speed profile, a genesis, a report): one reader,
// so every command says the same thing about a missing file, an unreadable one and bad JSON, and one
// way to name every invalid field of a zod result.
import { readFileSync } from "node:fs";
import type { z } from "zod";

/** The parsed JSON of `path`; `fail` builds the error for "cannot read" and "not JSON". */
export function readJsonFile(
  path: string,
  what: string,
  fail: (message: string) => Error,
): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(
      `cannot read ${what} ${path}: ${code === "ENOENT" ? "no such file" : (code ?? (err as Error).message)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw fail(`${what} ${path} is not JSON: ${(err as Error).message}`);
  }
}

/** Every issue as `path: message`, joined with "; ". */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "<root>"}: ${i.message}`)
    .join("; ");
}
