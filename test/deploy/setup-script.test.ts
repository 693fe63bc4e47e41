// scripts/gpu_setup/setup.sh on hosts made of stubs: a PATH holding only the shell tools it reads
// with and stub commands that log each call, so a test sees every check's verdict and proves that a
// dry run (or a run with everything done already) changes nothing.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./files.js";

const SCRIPT = join(ROOT, "scripts", "gpu_setup", "setup.sh");
const TOOLS = [
  "bash",
  "cat",
  "cut",
  "df",
  "du",
  "find",
  "grep",
  "head",
  "sed",
  "sort",
  "tail",
  "tr",
];
/** Commands that change a host; none may run in a dry run or a run with nothing left to do. */
const CHANGES = /^(apt-get|curl|install|chmod|nvidia-ctk|systemctl (?!show|is-)|docker run)/m;

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

const BASH = which("bash") ?? "/bin/bash";
const work = mkdtempSync(join(tmpdir(), "cacheon-setup-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sandboxes = 0;

// Each stub logs its call, then does what the host it plays would. The STUB_* variables set it.
const STUBS: Record<string, string> = {
  id: `echo "\${STUB_UID:-0}"`,
  "nvidia-smi": `
if [ -n "\${STUB_NO_DRIVER:-}" ]; then
  echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."; exit 9
fi
for ((i = 0; i < \${STUB_GPUS:-4}; i++)); do
  case "$*" in
  *driver_version*) echo "570.86.15" ;;
  *) echo "$i, NVIDIA H200, 143771 MiB" ;;
  esac
done`,
  systemctl: `
case "$1" in
show) exit 0 ;;
is-active | is-enabled) [ -n "\${STUB_DOCKER:-}" ] ;;
esac`,
  "dpkg-query": `
case " \${STUB_INSTALLED:-} " in
*" \${@: -1} "*) printf 'install ok installed' ;;
*) echo "dpkg-query: no packages found matching \${@: -1}" >&2; exit 1 ;;
esac`,
  dpkg: "echo amd64",
  docker: `
[ -n "\${STUB_DOCKER:-}" ] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
case "$*" in
*Runtimes*) if [ -n "\${STUB_NVIDIA_RUNTIME:-}" ]; then echo '{"nvidia":{"path":"nvidia-container-runtime"},"runc":{"path":"runc"}}'; else echo '{"runc":{"path":"runc"}}'; fi ;;
*DockerRootDir*) echo "$STUB_DOCKER_ROOT" ;;
"run "*) for ((i = 0; i < \${STUB_CONTAINER_GPUS:-4}; i++)); do echo "GPU $i: NVIDIA H200 (UUID: GPU-$i)"; done ;;
esac`,
  dockerd: 'echo "Docker version 28.2.2, build e6534b4"',
  "apt-get": "",
  curl: "",
  install: "",
  chmod: "",
  "nvidia-ctk": "",
};

interface Host {
  /** Stubs left out (a host without them). */
  without?: string[];
  os?: string;
  env?: Record<string, string>;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every stub call, one per line. */
  calls: string;
}

const UBUNTU =
  'ID=ubuntu\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\nPRETTY_NAME="Ubuntu 24.04"\n';
/** Every step done: Docker running with the nvidia runtime, the toolkit installed. */
const READY = {
  STUB_DOCKER: "1",
  STUB_NVIDIA_RUNTIME: "1",
  STUB_INSTALLED: "nvidia-container-toolkit",
};

/** A model folder as a download leaves it: config, index, shards, all readable by everyone. */
function modelsDir(edit?: (dir: string) => void): string {
  const dir = mkdtempSync(join(work, "models-"));
  const shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  writeFileSync(join(dir, "config.json"), '{"architectures":["Qwen2ForCausalLM"]}');
  writeFileSync(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ weight_map: { a: shards[0], b: shards[1] } }),
  );
  for (const shard of shards) writeFileSync(join(dir, shard), "weights");
  chmodSync(dir, 0o755);
  edit?.(dir);
  return dir;
}

function setup(args: string[], host: Host = {}): Result {
  const dir = join(work, `host-${sandboxes++}`);
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const tool of TOOLS) {
    const path = which(tool);
    if (path) symlinkSync(path, join(bin, tool));
  }
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  for (const [name, body] of Object.entries(STUBS)) {
    if (host.without?.includes(name)) continue;
    writeFileSync(join(bin, name), `#!${BASH}\necho "${name} $*" >> "$STUB_LOG"\n${body}\n`, {
      mode: 0o755,
    });
  }
  const osRelease = join(dir, "os-release");
  writeFileSync(osRelease, host.os ?? UBUNTU);
  const r = spawnSync(BASH, [SCRIPT, ...args], {
    encoding: "utf8",
    timeout: 20_000,
    env: {
      PATH: bin,
      STUB_LOG: log,
      STUB_DOCKER_ROOT: dir,
      CACHEON_OS_RELEASE: osRelease,
      ...host.env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(log, "utf8") };
}

describe("setup.sh", () => {
  it("is valid bash", () => {
    const r = spawnSync(BASH, ["-n", SCRIPT], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("--help says what it does and its options, and exits 0", () => {
    const r = spawnSync(BASH, [SCRIPT, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    for (const option of ["--models DIR", "--gpus N", "--smoke", "--dry-run"])
      expect(r.stdout).toContain(option);
  });

  it("refuses an unknown option or a bad --gpus with exit 2 and one line", () => {
    const unknown = spawnSync(BASH, [SCRIPT, "--bogus"], { encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("setup.sh: unknown option: --bogus (--help lists the options)\n");
    const gpus = spawnSync(BASH, [SCRIPT, "--gpus", "0"], { encoding: "utf8" });
    expect(gpus.status).toBe(2);
    expect(gpus.stderr).toMatch(/^setup\.sh: --gpus needs a whole number of at least 1/);
  });

  const driverHere = which("nvidia-smi") !== undefined;
  const root = process.getuid?.() === 0;
  it.skipIf(driverHere || !root)(
    "--dry-run on this machine (root, no NVIDIA driver) stops at the driver and changes nothing",
    () => {
      const r = spawnSync(BASH, [SCRIPT, "--dry-run"], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^setup\.sh: no NVIDIA driver: nvidia-smi not found; install/);
      expect(r.stdout).not.toMatch(/would (run|write)/);
    },
  );

  it("stops at the driver where nvidia-smi is missing or cannot reach the driver", () => {
    const missing = setup(["--dry-run"], { without: ["nvidia-smi"] });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^setup\.sh: no NVIDIA driver: nvidia-smi not found/);
    const broken = setup(["--dry-run"], { env: { STUB_NO_DRIVER: "1" } });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toBe(
      "setup.sh: no NVIDIA driver: nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
    );
    expect(missing.calls + broken.calls).not.toMatch(CHANGES);
  });

  it("needs root, and Ubuntu or Debian", () => {
    const user = setup(["--dry-run"], { env: { STUB_UID: "1000" } });
    expect(user.status).toBe(1);
    expect(user.stderr).toMatch(/^setup\.sh: not root: run it with sudo/);
    const fedora = setup(["--dry-run"], { os: 'ID=fedora\nPRETTY_NAME="Fedora Linux 41"\n' });
    expect(fedora.status).toBe(1);
    expect(fedora.stderr).toMatch(
      /^setup\.sh: this is Fedora Linux 41: the script supports Ubuntu and Debian only/,
    );
  });

  it("needs systemd to run Docker as a service", () => {
    const r = setup(["--dry-run", "--models", modelsDir()], { without: ["systemctl"] });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^setup\.sh: no systemd: .*not a container/);
  });

  it("passes the GPU check exactly when the host has the GPUs the arena needs", () => {
    const models = modelsDir();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), (has, needs) => {
        const r = setup(["--dry-run", "--gpus", String(needs), "--models", models], {
          env: { ...READY, STUB_GPUS: String(has) },
        });
        if (has === needs) {
          expect(r.status).toBe(0);
          expect(r.stdout).toContain(`ok: ${needs} GPUs`);
        } else {
          expect(r.status).toBe(1);
          expect(r.stderr).toBe(
            `setup.sh: found ${has} GPUs, the arena needs ${needs}: use a host with ${needs} GPUs, or --gpus N for an arena of N\n`,
          );
        }
      }),
      { numRuns: 10 },
    );
  });

  it("--dry-run on a fresh Ubuntu host prints every install and configuration and changes nothing", () => {
    const r = setup(["--dry-run", "--models", modelsDir(), "--smoke"], {
      without: ["dockerd"],
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(
      /would write \/etc\/apt\/sources\.list\.d\/docker\.list: deb \[arch=amd64 signed-by=\/etc\/apt\/keyrings\/docker\.asc\] https:\/\/download\.docker\.com\/linux\/ubuntu noble stable|docker\.list is up to date/,
    );
    expect(out).toContain(
      "would run: apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin",
    );
    expect(out).toContain("would run: systemctl enable --now docker");
    expect(out).toContain("would run: apt-get install -y nvidia-container-toolkit");
    expect(out).toContain("would run: nvidia-ctk runtime configure --runtime=docker");
    expect(out).toContain("would run: systemctl restart docker");
    expect(out).toContain("would run: docker run --rm --gpus all ubuntu:24.04 nvidia-smi -L");
    expect(out).toMatch(/ok: weights in .*models-\w+: \S+, \S+ free on its disk/);
    expect(out).toContain("dry run: nothing was changed");
    expect(out).toContain("docker compose -f docker-compose.gpu.yml up -d --build");
    expect(r.calls).not.toMatch(CHANGES);
  });

  it("runs again on a ready host without changing anything, smoke test included", () => {
    const r = setup(["--models", modelsDir(), "--smoke"], { env: READY });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("ok: Docker Engine is installed already");
    expect(r.stdout).toContain("ok: NVIDIA Container Toolkit is installed already");
    expect(r.stdout).toContain("ok: Docker has the nvidia runtime");
    expect(r.stdout).toContain("ok: a container sees all 4 GPUs");
    expect(r.stdout).not.toMatch(/^\s+\+ /m);
    // The smoke test's container is the one thing it runs.
    expect(r.calls.replace(/^docker run .*$/m, "")).not.toMatch(CHANGES);
  });

  it("fails the smoke test when a container does not see every GPU", () => {
    const r = setup(["--models", modelsDir(), "--smoke"], {
      env: { ...READY, STUB_CONTAINER_GPUS: "2" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("setup.sh: a container with --gpus all sees 2 GPUs, not 4\n");
  });

  const broken: [string, (dir: string) => string, RegExp][] = [
    [
      "no folder",
      (dir) => join(dir, "absent"),
      /^setup\.sh: no model folder at .*absent: download/,
    ],
    [
      "no config.json",
      (dir) => {
        rmSync(join(dir, "config.json"));
        return dir;
      },
      /^setup\.sh: no config\.json in /,
    ],
    [
      "no weights",
      (dir) => {
        rmSync(join(dir, "model-00001-of-00002.safetensors"));
        rmSync(join(dir, "model-00002-of-00002.safetensors"));
        return dir;
      },
      /^setup\.sh: no \*\.safetensors in /,
    ],
    [
      "a shard the index names",
      (dir) => {
        rmSync(join(dir, "model-00002-of-00002.safetensors"));
        return dir;
      },
      /^setup\.sh: .*model-00002-of-00002\.safetensors is missing \(model\.safetensors\.index\.json names it\)/,
    ],
    [
      "a file only its owner reads",
      (dir) => {
        chmodSync(join(dir, "config.json"), 0o600);
        return dir;
      },
      /^setup\.sh: .*config\.json is not readable by every user, .*: chmod -R a\+rX /,
    ],
    [
      "a folder only its owner opens",
      (dir) => {
        chmodSync(dir, 0o700);
        return dir;
      },
      /^setup\.sh: .*models-\w+ is not readable by every user/,
    ],
  ];
  it.each(broken)("fails the weights check with %s", (_name, edit, message) => {
    let models = "";
    modelsDir((dir) => {
      models = edit(dir);
    });
    const r = setup(["--dry-run", "--models", models], { env: READY });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
