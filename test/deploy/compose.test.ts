// The compose files of the CPU host and the GPU pod, read as compose reads them with .env.example's
// values: what the pod and the validator need to work and to stay contained.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makePodCredentials } from "../../src/pod/tls.js";
import { artifactStoreFromEnv } from "../../src/store/artifacts/index.js";
import { closedPort } from "../helpers/ports.js";
import {
  type Compose,
  composeVariables,
  envExample,
  flag,
  interpolate,
  type Mount,
  readCompose,
  readRepoFile,
  type Service,
} from "./files.js";

const FILES = ["docker-compose.yml", "docker-compose.gpu.yml"];
const env = envExample();

function only(compose: Compose, name: string): Service {
  expect(Object.keys(compose.services)).toEqual([name]);
  const service = compose.services[name];
  if (!service) throw new Error(`no service ${name}`);
  return service;
}

function mountAt(service: Service, target: string): Mount {
  const mount = service.volumes?.find((v) => v.target === target);
  if (!mount) throw new Error(`nothing mounted at ${target}`);
  return mount;
}

describe("interpolate (compose's variable rules, used by these tests)", () => {
  const vars = new Map([
    ["SET", "x"],
    ["EMPTY", ""],
  ]);
  // `${body}` as compose writes it.
  const ref = (body: string) => `\${${body}}`;
  it("takes the value, the default where unset (or empty with ':'), and fails on '?'", () => {
    expect(interpolate(`${ref("SET")}/${ref("SET:-d")}`, vars)).toBe("x/x");
    expect(interpolate(`${ref("NONE:-d")} ${ref("EMPTY:-d")} ${ref("EMPTY-d")}`, vars)).toBe(
      "d d ",
    );
    expect(() => interpolate(ref("NONE:?set NONE"), vars)).toThrow("NONE: set NONE");
    expect(() => interpolate(ref("EMPTY:?set it"), vars)).toThrow("EMPTY: set it");
  });
});

describe.each(FILES)("%s", (file) => {
  it("reads only variables that .env.example defines or that have a default", () => {
    const vars = composeVariables(readRepoFile(file));
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars) if (!v.hasDefault) expect(env.has(v.name), v.name).toBe(true);
  });

  it("names every required variable in .env.example with a value", () => {
    expect(() => readCompose(file, env)).not.toThrow();
  });

  it("builds the one image from docker/Dockerfile, restarts unless stopped, and has an init", () => {
    const service = Object.values(readCompose(file, env).services)[0];
    expect(service?.build).toEqual({ context: ".", dockerfile: "docker/Dockerfile" });
    expect(service?.image).toBe(env.get("CACHEON_IMAGE"));
    expect(service?.restart).toBe("unless-stopped");
    expect(service?.init).toBe(true);
  });

  it("gives the pod token as the compose secret pod_token, from the same file on both hosts", () => {
    const compose = readCompose(file, env);
    const service = Object.values(compose.services)[0];
    expect(service?.secrets).toEqual(["pod_token"]);
    expect(compose.secrets?.pod_token?.file).toBe(env.get("CACHEON_POD_TOKEN_FILE"));
    expect(service?.command).toContain("/run/secrets/pod_token");
  });
});

describe("docker-compose.gpu.yml (the GPU pod)", () => {
  const compose = readCompose("docker-compose.gpu.yml", env);
  const pod = only(compose, "pod");

  it("runs `pod serve` on all interfaces, port 8750, with the docker runtime and all GPUs", () => {
    expect(pod.command.slice(0, 2)).toEqual(["pod", "serve"]);
    expect(flag(pod.command, "--host")).toBe("0.0.0.0");
    expect(flag(pod.command, "--port")).toBe("8750");
    expect(flag(pod.command, "--token-file")).toBe("/run/secrets/pod_token");
    expect(flag(pod.command, "--gpus")).toBe("all");
    expect(flag(pod.command, "--runtime")).toBe("docker");
    expect(flag(pod.command, "--firewall")).toBe("iptables");
  });

  it("shares the host's network and so publishes no ports", () => {
    expect(pod.network_mode).toBe("host");
    expect(pod.ports).toBeUndefined();
  });

  it("mounts the host's Docker socket", () => {
    const socket = mountAt(pod, "/var/run/docker.sock");
    expect(socket).toMatchObject({ type: "bind", source: "/var/run/docker.sock" });
  });

  it("may set the host firewall rule for each candidate: root with NET_ADMIN", () => {
    expect(pod.user).toBe("root");
    expect(pod.cap_add).toEqual(["NET_ADMIN"]);
  });

  it("mounts the weights read-only at the host's own path, the one --models names", () => {
    const models = flag(pod.command, "--models");
    expect(models).toBe(env.get("CACHEON_MODELS_DIR"));
    const mount = mountAt(pod, models ?? "");
    expect(mount).toEqual({ type: "bind", source: models, target: models, read_only: true });
    // Another models folder in .env moves both ends and the flag together.
    const moved = readCompose(
      "docker-compose.gpu.yml",
      new Map([...env, ["CACHEON_MODELS_DIR", "/data/qwen"]]),
    ).services.pod;
    expect(flag(moved?.command ?? [], "--models")).toBe("/data/qwen");
    expect(moved?.volumes).toContainEqual({
      type: "bind",
      source: "/data/qwen",
      target: "/data/qwen",
      read_only: true,
    });
  });

  it("keeps its state dir on a named volume", () => {
    const state = flag(pod.command, "--state-dir");
    expect(state).toBe("/var/lib/cacheon-pod");
    const mount = mountAt(pod, state ?? "");
    expect(mount.type).toBe("volume");
    expect(Object.keys(compose.volumes ?? {})).toContain(mount.source);
  });

  it("asks for no GPU itself (the servers it starts do)", () => {
    expect(pod.deploy).toBeUndefined();
  });

  it("checks health on the port it serves, without the token", () => {
    const test = pod.healthcheck?.test ?? [];
    expect(test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(test[3]).toContain(`https://127.0.0.1:${flag(pod.command, "--port")}/health`);
  });

  it("has a healthcheck that passes on a 200 only, a refused connection included", async () => {
    const script = pod.healthcheck?.test[3] ?? "";
    let status = 200;
    // The pod serves HTTPS with a certificate of its own making (pod/tls.ts), as here.
    const { keyPem, certPem } = await makePodCredentials();
    const server = createHttpsServer({ key: keyPem, cert: certPem }, (req, res) => {
      res.writeHead(req.url === "/health" ? status : 404).end('{"ok":true,"busy":false}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    // The server answers from this process, so the check runs beside it, not blocking it.
    const check = (to: number) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ["-e", script.replace(":8750/", `:${to}/`)], {
          stdio: "ignore",
          timeout: 10_000,
        });
        child.on("exit", (code) => resolve(code));
      });
    try {
      expect(await check(port)).toBe(0);
      status = 503;
      expect(await check(port)).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(await check(await closedPort())).toBe(1);
  });
});

describe("docker-compose.yml (the CPU host)", () => {
  const compose = readCompose("docker-compose.yml", env);
  const validator = only(compose, "validator");

  it("runs `validator run` against the pod of .env, with the token from the secret", () => {
    expect(validator.command.slice(0, 2)).toEqual(["validator", "run"]);
    expect(flag(validator.command, "--pod")).toBe(env.get("CACHEON_POD_URL"));
    expect(flag(validator.command, "--pod-token-file")).toBe("/run/secrets/pod_token");
    expect(flag(validator.command, "--network")).toBe(env.get("CACHEON_NETWORK"));
    expect(flag(validator.command, "--netuid")).toBe(env.get("CACHEON_NETUID"));
    expect(flag(validator.command, "--wallet-name")).toBe(env.get("CACHEON_WALLET_NAME"));
    expect(flag(validator.command, "--wallet-hotkey")).toBe(env.get("CACHEON_WALLET_HOTKEY"));
  });

  it("keeps its state on a named volume at --state-dir", () => {
    const state = flag(validator.command, "--state-dir");
    const mount = mountAt(validator, state ?? "");
    expect(mount.type).toBe("volume");
    expect(Object.keys(compose.volumes ?? {})).toContain(mount.source);
  });

  it("reads .env as its environment (the S3 settings) and the wallets read-only", () => {
    expect(validator.env_file).toBe(".env");
    const walletDir = validator.environment?.BT_WALLET_PATH ?? "";
    expect(mountAt(validator, walletDir)).toEqual({
      type: "bind",
      source: env.get("CACHEON_WALLET_DIR"),
      target: walletDir,
      read_only: true,
    });
  });

  it("serves metrics on --http, published on the host's loopback only, and checks /healthz there", () => {
    expect(flag(validator.command, "--http")).toBe("0.0.0.0:9108");
    expect(validator.ports).toEqual([`127.0.0.1:${env.get("CACHEON_METRICS_PORT")}:9108`]);
    const test = validator.healthcheck?.test ?? [];
    expect(test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(test[3]).toContain("http://127.0.0.1:9108/healthz");
  });

  it("keeps the network bridged, the Docker socket out and the image's unprivileged user", () => {
    expect(validator.network_mode).toBeUndefined();
    expect(validator.volumes?.some((v) => v.source.includes("docker.sock"))).toBe(false);
    expect(validator.user).toBeUndefined();
    expect(validator.cap_add).toBeUndefined();
  });
});

describe(".env.example", () => {
  it("has the S3 settings the validator reads, empty (local artifacts) and with no secret values", async () => {
    for (const name of ["CACHEON_S3_ENDPOINT", "CACHEON_S3_BUCKET", "AWS_ACCESS_KEY_ID"])
      expect(env.get(name)).toBe("");
    expect(env.get("AWS_SECRET_ACCESS_KEY")).toBe("");
    const dir = mkdtempSync(join(tmpdir(), "cacheon-env-"));
    const asIs = artifactStoreFromEnv(Object.fromEntries(env), dir);
    expect(asIs.describe()).toMatch(/^local folder /);
    await asIs.close();
    // Filled in, the same names select S3 with the local folder as its spool.
    const filled = artifactStoreFromEnv(
      {
        ...Object.fromEntries(env),
        CACHEON_S3_BUCKET: "reports",
        CACHEON_S3_ENDPOINT: "http://127.0.0.1:9000",
      },
      dir,
    );
    expect(filled.describe()).toMatch(/^s3:\/\/reports at http:\/\/127\.0\.0\.1:9000/);
    await filled.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
