// Parsers for command-line values: each turns a bad value into a one-line CliError.
import { CliError } from "./errors.js";

/** An http(s) base URL without a trailing slash. */
export function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(
      `--endpoint ${JSON.stringify(value)} is not a URL (expected e.g. http://127.0.0.1:8000)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--endpoint must be an http:// or https:// URL, got ${url.protocol}`);
  }
  return url.toString().replace(/\/+$/, "");
}

export function parsePositive(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new CliError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
    return n;
  };
}
