// `cacheon pod serve` refusing bad options in one line, before it loads or serves anything.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEntry } from "../../src/entry.js";
import { makePodCredentials } from "../../src/pod/tls.js";
import { closedPort } from "../helpers/ports.js";
import { TOKEN } from "./pod-process.js";

const dir = mkdtempSync(join(tmpdir(), "cacheon-pod-cli-"));
const shortToken = join(dir, "short.token");
writeFileSync(shortToken, "abc\n");
const goodToken = join(dir, "good.token");
writeFileSync(goodToken, `${TOKEN}\n`);
const badImages = join(dir, "bad-images.json");
writeFileSync(badImages, JSON.stringify({ "sha256:XY": { kind: "reference", profile: "fast" } }));
const [tlsA, tlsB] = await Promise.all([makePodCredentials(), makePodCredentials()]);
const certA = join(dir, "a.crt");
writeFileSync(certA, tlsA.certPem);
const keyA = join(dir, "a.key");
writeFileSync(keyA, tlsA.keyPem);
const keyB = join(dir, "b.key");
writeFileSync(keyB, tlsB.keyPem);

function podServe(args: string[], env: Record<string, string> = {}) {
  const { CACHEON_POD_TOKEN: _, DOCKER_HOST: __, ...base } = process.env;
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cliEntry(), "pod", "serve", "--state-dir", join(dir, "state"), ...args],
      { env: { ...base, ...env }, timeout: 20_000, encoding: "utf8" },
      (err, _stdout, stderr) =>
        resolve({ code: typeof err?.code === "number" ? err.code : err ? -1 : 0, stderr }),
    );
  });
}

describe("cacheon pod serve: bad options", () => {
  it.each([
    [[], {}, /^cacheon: give --token-file FILE or set CACHEON_POD_TOKEN$/],
    [[], { CACHEON_POD_TOKEN: "" }, /^cacheon: CACHEON_POD_TOKEN is empty$/],
    [["--token-file", shortToken], {}, /holds a token of 3 characters: use at least 16/],
    [["--token-file", join(dir, "none")], {}, /cannot read --token-file .*none: no such file$/],
    [
      ["--token-file", goodToken, "--models", join(dir, "nope")],
      {},
      /--models .*nope is not a directory$/,
    ],
    [["--token-file", goodToken], {}, /^cacheon: --runtime docker needs --models DIR/],
    [["--token-file", goodToken, "--gpus", "0,0"], {}, /^cacheon: --gpus names a GPU twice: 0,0$/],
    [
      ["--token-file", goodToken, "--gpus", "two"],
      {},
      /^cacheon: --gpus must be all, none or GPU indices/,
    ],
    [
      ["--token-file", goodToken, "--models", dir, "--images", goodToken],
      {},
      /^cacheon: --images is for --runtime local/,
    ],
    [
      ["--token-file", goodToken, "--runtime", "local", "--images", badImages],
      {},
      /^cacheon: --images .*bad-images\.json: .*sha256:<64 lowercase hex>/,
    ],
    [
      ["--token-file", goodToken, "--port", "70000"],
      {},
      /^cacheon: --port must be an integer from 0 to 65535/,
    ],
    [
      ["--token-file", goodToken, "--tls-cert", certA],
      {},
      /^cacheon: --tls-cert and --tls-key go together$/,
    ],
    [
      ["--token-file", goodToken, "--tls-cert", join(dir, "none.crt"), "--tls-key", keyA],
      {},
      /^cacheon: cannot read --tls-cert .*none\.crt: no such file$/,
    ],
    [
      ["--token-file", goodToken, "--tls-cert", certA, "--tls-key", keyB],
      {},
      /^cacheon: --tls-cert .*a\.crt and --tls-key .*b\.key: the private key is not the certificate's$/,
    ],
    [
      ["--token-file", goodToken, "--tls-cert", certA, "--tls-key", keyA, "--insecure-http"],
      {},
      /^cacheon: choose one of a certificate and --insecure-http$/,
    ],
    [
      ["--token-file", goodToken, "--self-signed", "--insecure-http"],
      {},
      /^cacheon: choose one of --self-signed and --insecure-http$/,
    ],
    [
      ["--token-file", goodToken],
      { CACHEON_POD_TLS_KEY: tlsA.keyPem },
      /^cacheon: set both CACHEON_POD_TLS_KEY and CACHEON_POD_TLS_CERT \(PEM text\), or neither$/,
    ],
    [
      ["--token-file", goodToken],
      { CACHEON_POD_TLS_KEY: tlsA.keyPem, CACHEON_POD_TLS_CERT: "junk" },
      /^cacheon: \$CACHEON_POD_TLS_CERT and \$CACHEON_POD_TLS_KEY: the certificate is not a PEM X\.509 certificate$/,
    ],
  ] as [string[], Record<string, string>, RegExp][])("%j %j", async (args, env, want) => {
    const r = await podServe(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")[0]).toMatch(want);
  });

  it("takes docker or local as its runtime only (commander's usage error)", async () => {
    const r = await podServe(["--token-file", goodToken, "--runtime", "podman"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/argument 'podman' is invalid\. Allowed choices are docker, local/);
  });

  it("says in one line that no Docker engine answers", async () => {
    const r = await podServe(["--token-file", goodToken, "--models", dir], {
      DOCKER_HOST: `tcp://127.0.0.1:${await closedPort()}`,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^cacheon: --runtime docker: no Docker engine answers \(.*\); start dockerd or set DOCKER_HOST\n$/,
    );
  });
});
