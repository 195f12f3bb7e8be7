#!/usr/bin/env bash
# Image smoke test: builds the Profundo image from deploy/Dockerfile and
# drives a server running inside it with the CLI. No Docker engine and no
# registry are needed (DESIGN.md, "Docker"):
#
#   1. base image: docker.io/library/debian:bookworm-slim is made with
#      `debootstrap --variant=minbase bookworm` from the machine's own Debian
#      mirror (read from /etc/apt/sources.list*) and imported with
#      `podman import`; the root file system is cached as a tarball, so this
#      happens once per machine;
#   2. image: `podman build --isolation=chroot --format docker` (the docker
#      format keeps the HEALTHCHECK) -> profundo:latest;
#   3. smoke test: `buildah from` + `buildah run --isolation=chroot` (host
#      network) runs the image's ENTRYPOINT + CMD on a free loopback port,
#      with a host directory bound at the data volume; the image's CLI
#      (or $PROFUNDO_CLI) pings the server, uploads a small synthetic CSV
#      dataset, trains a model, predicts, then the server is stopped with
#      SIGTERM (it must exit 0), restarted on the same data and asked for
#      the model again (the volume keeps it). Containers and temporary
#      files are removed; the image is kept.
#
# Runs as root, outside ctest (it builds the whole project: ~15-20 min on 2
# cores). Usage:
#
#   bash deploy/test-image.sh                everything
#   bash deploy/test-image.sh --no-build     reuse the existing profundo:latest
#   bash deploy/test-image.sh --base-only    only make/import the base image
#   bash deploy/test-image.sh --rebuild-base debootstrap again (drops cache)
#
# Environment: PROFUNDO_IMAGE (default profundo:latest; the name
# deploy/k8s and deploy/docker-compose.yml use), PROFUNDO_BUILD_JOBS
# (compile jobs in the image build, default 2), PROFUNDO_BASE_CACHE (the
# cached base tarball, default /var/cache/profundo/debian-bookworm-minbase.tar),
# PROFUNDO_CLI (a host-built `profundo` binary to drive the server with,
# instead of the image's own CLI).
set -euo pipefail
cd "$(dirname "$0")/.."

image=${PROFUNDO_IMAGE:-profundo:latest}
base=docker.io/library/debian:bookworm-slim
base_cache=${PROFUNDO_BASE_CACHE:-/var/cache/profundo/debian-bookworm-minbase.tar}
jobs=${PROFUNDO_BUILD_JOBS:-2}
build=1
base_only=0
rebuild_base=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --base-only) base_only=1 ;;
    --rebuild-base) rebuild_base=1 ;;
    *) echo "test-image.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "test-image.sh: run as root (podman/buildah with chroot isolation)" >&2
  exit 1
fi
bash deploy/install-deps.sh --image

start=$SECONDS
phase() { echo "== $* ($((SECONDS - start)) s) =="; }
fail() { echo "test-image.sh: FAIL: $*" >&2; exit 1; }

# The URI of the machine's Debian mirror for `suite` (deb822 .sources
# files first, then one-line sources.list entries); empty if none.
apt_mirror() {  # suite
  local files=() f
  for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && files+=("$f"); done
  if [ ${#files[@]} -gt 0 ]; then
    awk -v suite="$1" 'BEGIN { RS = "" }
      {
        uri = ""; suites = ""; enabled = 1
        n = split($0, line, "\n")
        for (i = 1; i <= n; i++) {
          if (line[i] ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line[i]); split(line[i], u, " "); uri = u[1] }
          if (line[i] ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line[i]); suites = " " line[i] " " }
          if (line[i] ~ /^Enabled:[ \t]*no/) enabled = 0
        }
        if (enabled && uri != "" && index(suites, " " suite " ") > 0) { print uri; exit }
      }' "${files[@]}" | head -n1
  fi
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$1" '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' "$f"
  done | head -n1
}

make_base_tarball() {
  local mirror security root
  mirror=$(apt_mirror bookworm | head -n1)
  [ -n "$mirror" ] || fail "no bookworm mirror in /etc/apt/sources.list*"
  security=$(apt_mirror bookworm-security | head -n1)
  root=$(mktemp -d /var/tmp/profundo-base.XXXXXX)
  phase "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 30 "$root.log" >&2; rm -rf "$root"; fail "debootstrap"; }
  # Apt sources laid out as in Debian's own image, from the same mirrors.
  rm -f "$root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$mirror"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$root/etc/apt/sources.list.d/debian.sources"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/var/log/*.log "$root/debootstrap"
  mkdir -p "$(dirname "$base_cache")"
  tar --numeric-owner -C "$root" -cf "$base_cache.tmp" .
  mv "$base_cache.tmp" "$base_cache"
  rm -rf "$root" "$root.log"
}

ensure_base() {
  if [ "$rebuild_base" = 1 ]; then
    rm -f "$base_cache"
    podman image rm -f "$base" >/dev/null 2>&1 || true
  fi
  if podman image exists "$base"; then
    phase "base image $base present"
    return
  fi
  [ -f "$base_cache" ] || make_base_tarball
  phase "podman import $base_cache as $base"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - "$base" <"$base_cache" >/dev/null
}

ensure_base
[ "$base_only" = 1 ] && { phase "done"; exit 0; }

if [ "$build" = 1 ]; then
  phase "podman build -> $image (-j$jobs)"
  podman build --isolation=chroot --format docker --pull=never \
    --build-arg JOBS="$jobs" -f deploy/Dockerfile -t "$image" .
fi
podman image exists "$image" || fail "no image $image (run without --no-build)"
build_seconds=$((SECONDS - start))

py=/usr/bin/python3
# ------------------------------------------------------------ image config
phase "image configuration"
podman image inspect "$image" | "$py" -c '
import json, sys
image = json.load(sys.stdin)[0]
config = image["Config"]
health = image.get("Healthcheck") or config.get("Healthcheck") or {}
problems = []
if config.get("User", "").split(":")[0] in ("", "0", "root"):
    problems.append("runs as root")
if "50051/tcp" not in (config.get("ExposedPorts") or {}):
    problems.append("does not expose 50051/tcp")
if "/var/lib/profundo" not in (config.get("Volumes") or {}):
    problems.append("no volume at /var/lib/profundo")
if "ping" not in (health.get("Test") or []):
    problems.append("no health check (build with --format docker)")
if (config.get("Entrypoint") or [""])[0] != "profundo-server":
    problems.append("entrypoint is not profundo-server")
if problems:
    sys.exit("image: " + "; ".join(problems))
print("user %s, ports %s, volumes %s, health %s" % (config["User"],
      sorted(config["ExposedPorts"]), sorted(config["Volumes"]), health["Test"]))
print("size %.0f MB" % (image["Size"] / 1e6))
'
# ENTRYPOINT + CMD, one word a line.
entrypoint=$(podman image inspect "$image" | "$py" -c '
import json, sys
config = json.load(sys.stdin)[0]["Config"]
print("\n".join((config.get("Entrypoint") or []) + (config.get("Cmd") or [])))')
mapfile -t server_command <<<"$entrypoint"
# The HEALTHCHECK's command (after "CMD"), one word a line.
healthcheck=$(podman image inspect "$image" | "$py" -c '
import json, sys
image = json.load(sys.stdin)[0]
test = (image.get("Healthcheck") or image["Config"].get("Healthcheck"))["Test"]
print("\n".join(test[1:]))')
mapfile -t health_command <<<"$healthcheck"

# ------------------------------------------------------------- containers
work=$(mktemp -d /tmp/profundo-image-test.XXXXXX)
srv="" cli_ctr="" server_job=""
server_pid() {  # the profundo-server process under `buildah run` ($server_job)
  ps -eo pid=,ppid=,comm= | awk -v root="$server_job" '
    { pid[NR] = $1; ppid[NR] = $2; comm[NR] = $3 }
    END {
      keep[root] = 1
      for (changed = 1; changed; ) {
        changed = 0
        for (i = 1; i <= NR; i++)
          if ((ppid[i] in keep) && !(pid[i] in keep)) { keep[pid[i]] = 1; changed = 1 }
      }
      for (i = 1; i <= NR; i++) if ((pid[i] in keep) && comm[i] == "profundo-server") print pid[i]
    }'
}
cleanup() {
  local pid
  if [ -n "$server_job" ] && kill -0 "$server_job" 2>/dev/null; then
    for pid in $(server_pid); do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 2
    kill -0 "$server_job" 2>/dev/null && kill -TERM "$server_job" 2>/dev/null
    wait "$server_job" 2>/dev/null || true
  fi
  [ -n "$srv" ] && buildah rm "$srv" >/dev/null 2>&1
  [ -n "$cli_ctr" ] && buildah rm "$cli_ctr" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

srv=$(buildah from --pull=never --quiet --name "profundo-smoke-server-$$" "$image")
cli_ctr=$(buildah from --pull=never --quiet --name "profundo-smoke-cli-$$" "$image")
in_image() { buildah run --isolation=chroot "$srv" -- "$@"; }

phase "runtime libraries and user inside the image"
if in_image sh -c 'ldd /usr/local/bin/profundo-server /usr/local/bin/profundo' | grep "not found"; then
  fail "missing shared libraries in the image"
fi
uid=$(in_image id -u)
gid=$(in_image id -g)
[ "$uid" != 0 ] || fail "the image's user is root"
echo "runs as uid $uid gid $gid"

# The data volume: a host directory owned by the image's user.
mkdir -p "$work/data" "$work/in"
chown "$uid:$gid" "$work/data"
chmod 755 "$work" "$work/in"

# A small synthetic problem: 3 Gaussian clusters in 4 dimensions.
"$py" - "$work/in" <<'PY'
import os, random, sys
out = sys.argv[1]
rng = random.Random(5)
centers = [(2, 0, 0, 1), (-2, 1, 0, -1), (0, -2, 2, 0)]
def rows(n):
    for i in range(n):
        c = i % 3
        yield [round(v + rng.gauss(0, 0.5), 4) for v in centers[c]], c
header = "f0,f1,f2,f3,label\n"
with open(os.path.join(out, "train.csv"), "w") as f:
    f.write(header)
    for x, c in rows(600):
        f.write(",".join(map(str, x)) + f",{c}\n")
with open(os.path.join(out, "test.csv"), "w") as f, \
     open(os.path.join(out, "test_labels.csv"), "w") as g:
    f.write(header)
    g.write("label\n")
    for x, c in rows(90):
        f.write(",".join(map(str, x)) + f",{c}\n")
        g.write(f"{c}\n")
with open(os.path.join(out, "spec.json"), "w") as f:
    f.write("""{"layers": [
  {"dense": {"units": 16, "activation": "relu", "input_shape": [4]}},
  {"dropout": {"rate": 0.1}},
  {"dense": {"units": 3, "activation": "softmax"}}],
 "loss": "sparse_categorical_crossentropy",
 "optimizer": {"adam": {}, "learning_rate": 0.01},
 "metrics": ["accuracy"]}
""")
PY
chmod 644 "$work"/in/*

# Two free loopback ports: the API and the plaintext health-only port
# (--health_listen) of this run.
read -r port health_port < <("$py" -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
if [ -n "${PROFUNDO_CLI:-}" ]; then
  in_dir=$work/in
  cli() { "$PROFUNDO_CLI" --server="127.0.0.1:$port" "$@"; }
else
  in_dir=/in
  cli() {
    buildah run --isolation=chroot -v "$work/in:/in:ro" "$cli_ctr" -- \
      profundo --server="127.0.0.1:$port" "$@"
  }
fi
json_field() { "$py" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

start_server() {
  # The image's own ENTRYPOINT + CMD; later flags win: free loopback ports,
  # one thread (the machine is shared).
  buildah run --isolation=chroot -v "$work/data:/var/lib/profundo" "$srv" -- \
    "${server_command[@]}" --listen="127.0.0.1:$port" \
    --health_listen="127.0.0.1:$health_port" --threads_per_worker=1 \
    >>"$work/server.log" 2>&1 &
  server_job=$!
  local i
  for i in $(seq 1 120); do
    if ! kill -0 "$server_job" 2>/dev/null; then
      cat "$work/server.log" >&2
      fail "the server exited while starting"
    fi
    if cli --timeout=2s ping >/dev/null 2>&1; then
      echo "serving on 127.0.0.1:$port after $i attempts"
      return
    fi
    sleep 0.5
  done
  cat "$work/server.log" >&2
  fail "the server is not SERVING after 60 s"
}

stop_server() {
  local pid rc=0
  pid=$(server_pid)
  [ -n "$pid" ] || fail "no profundo-server process under buildah run"
  kill -TERM "$pid"
  wait "$server_job" || rc=$?
  server_job=""
  [ "$rc" = 0 ] || { cat "$work/server.log" >&2; fail "server exit status $rc after SIGTERM"; }
  grep -q "stopped" "$work/server.log" || fail "no graceful shutdown in the server log"
}

# --------------------------------------------------------------- smoke test
phase "server in the image, driven by the CLI"
start_server
# The image's own HEALTHCHECK, inside the server's container (pointed at
# this run's health port: the last --server wins).
in_image "${health_command[@]}" --server="127.0.0.1:$health_port" \
  || fail "the image's HEALTHCHECK command fails"
cli --service=profundo.v1.Profundo ping
dataset=$(cli --json upload --name smoke-clusters --csv "$in_dir/train.csv" \
  --label_column label | json_field id)
echo "dataset $dataset"
cli dataset "$dataset"
cli validate "$in_dir/spec.json" --dataset "$dataset"
job=$(cli --json submit "$in_dir/spec.json" --dataset "$dataset" \
  --epochs 5 --batch_size 32 --validation_split 0.1 --seed 7 | json_field id)
echo "job $job"
cli watch "$job"
state=$(cli --json job "$job" | json_field state)
[ "$state" = JOB_STATE_SUCCEEDED ] || fail "job $job ended $state"
model=$(cli --json job "$job" | json_field model_id)
cli predict "$model" --input "$in_dir/test.csv" --label_column label \
  --labels "$in_dir/test_labels.csv" --count 0 | tee "$work/predict.txt" | tail -n 3
accuracy=$(sed -n 's/^accuracy: \([0-9.]*\).*/\1/p' "$work/predict.txt")
"$py" -c "import sys; sys.exit(0 if float('$accuracy') >= 0.9 else 1)" \
  || fail "test accuracy $accuracy < 0.9 on separable clusters"
cli predict "$model" --input "$in_dir/test.csv" --label_column label \
  --count 3 --mc_samples 20

phase "SIGTERM, restart on the same volume"
stop_server
start_server
cli model "$model"
cli --json job "$job" | json_field state | grep -qx JOB_STATE_SUCCEEDED \
  || fail "job $job lost its state across the restart"
stop_server

trap - EXIT
cleanup
echo "== image test passed in $((SECONDS - start)) s (build and base image: ${build_seconds} s; image $image kept) =="
