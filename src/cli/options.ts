// Parsers for command-line values: each turns a bad value into a one-line CliError.
import { type GpuSelection, parseGpus } from "../runtime/docker/container-config.js";
import { CliError } from "./errors.js";

/** `--port`: 0 to 65535 (0: any free port). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new CliError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

/** `--gpus`: all, none or distinct GPU indices. */
export function parseGpusOption(value: string): GpuSelection {
  try {
    return parseGpus(value);
  } catch (err) {
    throw new CliError(`--gpus ${(err as Error).message}`);
  }
}

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

/** `[host:]port` (host default 127.0.0.1). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new CliError(`--http ${JSON.stringify(value)} must be [HOST:]PORT, e.g. 0.0.0.0:9108`);
  return { host: (m[1] ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1"), port };
}
