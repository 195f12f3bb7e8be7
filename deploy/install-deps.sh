#!/usr/bin/env bash
# Installs everything Profundo needs to build, test, benchmark and run its
# demo, from Debian 12 packages only. Idempotent: a second run installs
# nothing new. Used by the README, by .ci/run and by deploy/Dockerfile.
#
#   deploy/install-deps.sh            build + test + demo dependencies
#   deploy/install-deps.sh --bench    also PyTorch with OpenBLAS (benchmarks)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libdnnl-dev ocl-icd-opencl-dev opencl-headers libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev zlib1g-dev
  dataset-fashion-mnist
  python3 python3-numpy python3-grpcio python3-grpc-tools
)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3-torch libopenblas0-openmp) ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: need root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
