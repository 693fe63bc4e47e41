#!/usr/bin/env bash
# Prepares a fresh GPU host for Cacheon's pod (docker-compose.gpu.yml): checks the NVIDIA driver and
# the GPU count, installs Docker Engine and the NVIDIA Container Toolkit from their apt repositories,
# registers the nvidia runtime with Docker, and checks the model weights. Safe to run again: what is
# done already is skipped. docs/validators/gpu-setup.md explains each step.
set -euo pipefail

GPUS=4
MODELS=/models
SMOKE=0
SMOKE_IMAGE=ubuntu:24.04
DRY_RUN=0
# Each miner image may unpack to 20 GB (the arena's limit); below this, warn about Docker's disk.
MIN_DOCKER_FREE_GB=100
# Tests point this at a file of their own.
OS_RELEASE=${CACHEON_OS_RELEASE:-/etc/os-release}
export DEBIAN_FRONTEND=noninteractive

usage() {
  cat <<EOF
Usage: sudo scripts/gpu_setup/setup.sh [options]

Prepares this GPU host for 'cacheon pod serve' (docker-compose.gpu.yml). In order:
  1. checks: root, Ubuntu or Debian, the NVIDIA driver (nvidia-smi), the GPU count
  2. checks systemd and installs Docker Engine (docker.com's apt repository) unless an engine is installed already
  3. installs the NVIDIA Container Toolkit (NVIDIA's apt repository) unless installed already
  4. registers the nvidia runtime with Docker (nvidia-ctk) and restarts Docker, if not registered
  5. checks the model weights: the folder, config.json, *.safetensors, readable by every user;
     reports their size and the free disk
  6. with --smoke, runs nvidia-smi in a container with all GPUs
It stops at the first failed check with what to do. Running it again skips what is done.

Options:
  --models DIR         the model weights folder (default: $MODELS)
  --gpus N             the GPUs the arena needs (default: $GPUS)
  --smoke              run the GPU smoke test in a container (pulls --smoke-image)
  --smoke-image IMAGE  the smoke test's image (default: $SMOKE_IMAGE)
  --dry-run            check, and print what would be changed without changing anything
  -h, --help           this help
EOF
}

step() { printf '==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
warn() { printf '    warning: %s\n' "$*"; }
fail() {
  printf 'setup.sh: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  printf 'setup.sh: %s (--help lists the options)\n' "$*" >&2
  exit 2
}

# Runs a command that changes the host; with --dry-run, only prints it.
run() {
  local line
  printf -v line '%q ' "$@"
  if ((DRY_RUN)); then
    printf '    would run: %s\n' "${line% }"
  else
    printf '    + %s\n' "${line% }"
    "$@"
  fi
}

# Writes one line to a file unless it holds exactly that already; with --dry-run, only prints it.
write_line() {
  local path=$1 content=$2
  if [[ -f $path && $(<"$path") == "$content" ]]; then
    ok "$path is up to date"
  elif ((DRY_RUN)); then
    printf '    would write %s: %s\n' "$path" "$content"
  else
    printf '    + write %s: %s\n' "$path" "$content"
    printf '%s\n' "$content" >"$path"
  fi
}

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

parse_args() {
  while (($#)); do
    case $1 in
    --models)
      [[ -n ${2:-} ]] || usage_error "--models needs a folder"
      MODELS=$2
      shift 2
      ;;
    --gpus)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage_error "--gpus needs a whole number of at least 1"
      GPUS=$2
      shift 2
      ;;
    --smoke)
      SMOKE=1
      shift
      ;;
    --smoke-image)
      [[ -n ${2:-} ]] || usage_error "--smoke-image needs an image"
      SMOKE_IMAGE=$2
      shift 2
      ;;
    --dry-run)
      DRY_RUN=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown option: $1" ;;
    esac
  done
}

check_root() {
  [[ $(id -u) == 0 ]] || fail "not root: run it with sudo (it installs packages and configures Docker)"
  ok "root"
}

# Sets OS_ID and CODENAME: the apt repositories are per distribution and release.
check_os() {
  [[ -r $OS_RELEASE ]] || fail "cannot read $OS_RELEASE: this script needs Ubuntu or Debian"
  local ID="" VERSION_CODENAME="" UBUNTU_CODENAME="" PRETTY_NAME=""
  # shellcheck disable=SC1090
  . "$OS_RELEASE"
  case $ID in
  ubuntu | debian) ;;
  *) fail "this is ${PRETTY_NAME:-$ID}: the script supports Ubuntu and Debian only; set the host up by hand (docs/validators/gpu-setup.md)" ;;
  esac
  OS_ID=$ID
  CODENAME=${UBUNTU_CODENAME:-$VERSION_CODENAME}
  [[ -n $CODENAME ]] || fail "$OS_RELEASE names no release codename (VERSION_CODENAME): cannot pick the apt repositories"
  ok "$ID $CODENAME"
}

check_systemd() {
  command -v systemctl >/dev/null && systemctl show --property=Version >/dev/null 2>&1 ||
    fail "no systemd: Docker must run as a service of this host; use a VM or bare-metal GPU host, not a container"
  ok "systemd"
}

check_driver() {
  command -v nvidia-smi >/dev/null ||
    fail "no NVIDIA driver: nvidia-smi not found; install the driver for these GPUs (Ubuntu: ubuntu-drivers install), reboot, and run this again"
  local out
  out=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>&1) ||
    fail "no NVIDIA driver: nvidia-smi failed: $(head -n 1 <<<"$out")"
  ok "NVIDIA driver $(head -n 1 <<<"$out")"
}

check_gpu_count() {
  local gpus
  mapfile -t gpus < <(nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader)
  local gpu
  for gpu in "${gpus[@]}"; do printf '    GPU %s\n' "$gpu"; done
  ((${#gpus[@]} == GPUS)) ||
    fail "found ${#gpus[@]} GPUs, the arena needs $GPUS: use a host with $GPUS GPUs, or --gpus N for an arena of N"
  ok "$GPUS GPUs"
}

install_docker() {
  if command -v dockerd >/dev/null; then
    ok "Docker Engine is installed already ($(dockerd --version)): keeping it"
  else
    local arch
    arch=$(dpkg --print-architecture)
    run apt-get update
    run apt-get install -y ca-certificates curl
    run install -m 0755 -d /etc/apt/keyrings
    run curl -fsSL "https://download.docker.com/linux/$OS_ID/gpg" -o /etc/apt/keyrings/docker.asc
    run chmod a+r /etc/apt/keyrings/docker.asc
    write_line /etc/apt/sources.list.d/docker.list \
      "deb [arch=$arch signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/$OS_ID $CODENAME stable"
    run apt-get update
    run apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
  fi
  if systemctl is-active --quiet docker && systemctl is-enabled --quiet docker; then
    ok "Docker is running and starts at boot"
  else
    run systemctl enable --now docker
  fi
  if ! ((DRY_RUN)) && ! docker compose version >/dev/null 2>&1; then
    warn "this engine has no 'docker compose': install docker-compose-plugin (docker.com's repository) or docker-compose-v2 (Ubuntu) to run docker-compose.gpu.yml"
  fi
}

install_toolkit() {
  if installed nvidia-container-toolkit; then
    ok "NVIDIA Container Toolkit is installed already"
    return
  fi
  run apt-get install -y ca-certificates curl
  run install -m 0755 -d /etc/apt/keyrings
  run curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey -o /etc/apt/keyrings/nvidia-container-toolkit.asc
  run chmod a+r /etc/apt/keyrings/nvidia-container-toolkit.asc
  # $(ARCH) is apt's own variable, written as is.
  # shellcheck disable=SC2016
  write_line /etc/apt/sources.list.d/nvidia-container-toolkit.list \
    'deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit.asc] https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /'
  run apt-get update
  run apt-get install -y nvidia-container-toolkit
}

nvidia_runtime_registered() { [[ $(docker info --format '{{json .Runtimes}}' 2>/dev/null) == *'"nvidia"'* ]]; }

configure_runtime() {
  if nvidia_runtime_registered; then
    ok "Docker has the nvidia runtime"
    return
  fi
  run nvidia-ctk runtime configure --runtime=docker
  run systemctl restart docker
  ((DRY_RUN)) || nvidia_runtime_registered ||
    fail "Docker does not list the nvidia runtime after the restart: check /etc/docker/daemon.json and 'journalctl -u docker'"
}

check_models() {
  [[ -d $MODELS ]] ||
    fail "no model folder at $MODELS: download the arena's model there (v1: huggingface-cli download Qwen/Qwen2.5-72B-Instruct --local-dir $MODELS, or cacheon pod weights fetch --models $MODELS), or name another with --models DIR"
  [[ -r $MODELS && -x $MODELS ]] || fail "cannot read $MODELS"
  [[ -f $MODELS/config.json ]] || fail "no config.json in $MODELS: not a model folder, or the download is incomplete"
  compgen -G "$MODELS/*.safetensors" >/dev/null ||
    fail "no *.safetensors in $MODELS: the weights are missing (servers load safetensors only)"
  if [[ -f $MODELS/model.safetensors.index.json ]]; then
    local shard
    while read -r shard; do
      [[ -f $MODELS/$shard ]] || fail "$MODELS/$shard is missing (model.safetensors.index.json names it): the download is incomplete"
    done < <(grep -o '"[^"/]*\.safetensors"' "$MODELS/model.safetensors.index.json" | tr -d '"' | sort -u)
  fi
  # Servers run as unprivileged users of their own and must read every file.
  local closed
  closed=$(find "$MODELS" \( \( -type d ! -perm -o=rx \) -o \( -type f ! -perm -o=r \) \) -print -quit)
  [[ -z $closed ]] || fail "$closed is not readable by every user, and servers run unprivileged: chmod -R a+rX $MODELS"
  ok "weights in $MODELS: $(du -sh "$MODELS" | cut -f 1), $(df -h --output=avail "$MODELS" | tail -n 1 | tr -d ' ') free on its disk"
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    local root free_gb
    root=$(docker info --format '{{.DockerRootDir}}')
    free_gb=$(df -BG --output=avail "$root" | tail -n 1 | tr -dc '0-9')
    ok "Docker's images in $root: ${free_gb}G free"
    ((free_gb >= MIN_DOCKER_FREE_GB)) ||
      warn "under ${MIN_DOCKER_FREE_GB}G free for images: each miner's image may unpack to 20 GB"
  fi
}

smoke_test() {
  if ((DRY_RUN)); then
    run docker run --rm --gpus all "$SMOKE_IMAGE" nvidia-smi -L
    return
  fi
  local out seen
  out=$(docker run --rm --gpus all "$SMOKE_IMAGE" nvidia-smi -L 2>&1) ||
    fail "the GPU smoke test failed: $(tail -n 1 <<<"$out")"
  printf '%s\n' "$out" | sed 's/^/    /'
  seen=$(grep -c '^GPU ' <<<"$out" || true)
  ((seen == GPUS)) || fail "a container with --gpus all sees $seen GPUs, not $GPUS"
  ok "a container sees all $GPUS GPUs"
}

next_steps() {
  cat <<EOF

Next steps, in a checkout of cacheon on this host (docs/validators/docker.md):
  cp .env.example .env      # set CACHEON_MODELS_DIR=$MODELS
  mkdir -p secrets && openssl rand -hex 32 > secrets/pod_token && chmod 0400 secrets/pod_token
  # the same token goes to the validator's host
  docker compose -f docker-compose.gpu.yml up -d --build
  # each weights file against the sha256 the arena pins (unpinned ones are hashed and reported):
  docker compose -f docker-compose.gpu.yml run --rm pod pod weights verify --models $MODELS
  curl -s http://127.0.0.1:8750/health
Then open port 8750 to the validator's address only.
EOF
}

main() {
  parse_args "$@"
  ((DRY_RUN)) && step "dry run: checks run, changes are only printed"
  step "host"
  check_root
  check_os
  step "NVIDIA driver and GPUs"
  check_driver
  check_gpu_count
  step "Docker Engine"
  check_systemd
  install_docker
  step "NVIDIA Container Toolkit"
  install_toolkit
  step "Docker's nvidia runtime"
  configure_runtime
  step "model weights"
  check_models
  if ((SMOKE)); then
    step "GPU smoke test"
    smoke_test
  fi
  ((DRY_RUN)) && step "dry run: nothing was changed"
  next_steps
}

main "$@"
